"""Calibration of the GEAR scores: ~1 on an ideal embedding, ~0 on random embeddings."""

import numpy as np
import pytest

from hear_probes.probes.gear.analysis import analyse
from hear_probes.probes.gear.scores import ideal_embedding, isomap_linear_r2, knn_r2, sensitivity
from hear_probes.stimuli import gear as g


@pytest.fixture(scope="module")
def tones():
    return g.make_tones("paper").subset(900, seed=0)


@pytest.fixture(scope="module")
def results(tones):
    scales = g.factor_scales(list(tones.factors))
    ideal = ideal_embedding(tones.factors, scales)
    rand = np.random.default_rng(0).normal(size=(len(tones), 128))
    return {name: analyse(e, tones.factors, scales, isomap_neighbors=60)
            for name, e in (("ideal", ideal), ("random", rand))}


def test_ideal_embedding_scores_near_one(results):
    for name, res in results["ideal"].per_factor.items():
        assert res["knn_r2_k10"] > 0.97, name
        assert res["knn_r2_k40"] > 0.95, name
        assert res["isomap_linear_r2"] > 0.97, name
        assert res["sensitivity"] > 0.95, name
        assert res["distance_effect"] > 0.8, name
        assert abs(res["knn_log_ratio"]["median"]) < 0.05, name
    assert results["ideal"].diagnostics["isomap_graph_components"] == 1


def test_random_embedding_scores_near_zero(results):
    for name, res in results["random"].per_factor.items():
        assert abs(res["knn_r2_k10"]) < 0.2, name  # expected -1/K
        assert abs(res["knn_r2_k40"]) < 0.1, name
        assert abs(res["isomap_linear_r2"]) < 0.05, name
        assert abs(res["sensitivity"]) < 0.1, name
        assert abs(res["distance_effect"]) < 0.05, name


def test_perceptual_variant_calibration():
    tones = g.make_tones("perceptual").subset(600, seed=1)
    scales = g.factor_scales(list(tones.factors))
    assert scales == {"f0": "log", "centroid": "log", "oddeven": "linear"}
    res = analyse(ideal_embedding(tones.factors, scales), tones.factors, scales, isomap_neighbors=50)
    for name, r in res.per_factor.items():
        assert r["knn_r2_k10"] > 0.95 and r["isomap_linear_r2"] > 0.95, name
        assert r["sensitivity"] > 0.95, name


def test_pitch_only_embedding_is_sensitive_to_pitch_only(tones):
    """An embedding of f1 alone: f1 scores high, alpha and r near zero."""
    f = tones.factors
    emb = np.stack([f["f1"], np.zeros_like(f["f1"])], axis=1)
    emb += 1e-3 * np.random.default_rng(0).normal(size=emb.shape)
    d = np.linalg.norm(emb[:, None] - emb[None], axis=-1)
    sens = sensitivity(d, {k: v for k, v in f.items()})
    assert sens["f1"]["rho"] > 0.95 and sens["f1"]["effect"] > 0.8
    for k in ("alpha", "r"):
        assert abs(sens[k]["rho"]) < 0.1 and abs(sens[k]["effect"]) < 0.05
    np.fill_diagonal(d, np.inf)
    nb = np.argsort(d, axis=1)[:, :40]
    assert knn_r2(f["f1"], nb, 40) > 0.95 and knn_r2(f["alpha"], nb, 40) < 0.1


def test_isomap_linear_r2_exact_for_affine_target():
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(200, 3))
    assert isomap_linear_r2(coords, coords @ [1.0, -2.0, 0.5] + 3.0) == pytest.approx(1.0)
    assert abs(isomap_linear_r2(coords, rng.normal(size=200))) < 0.1


def test_factor_scores_are_blind_to_entangling_rotations(tones):
    """Why the scores are "factor scores", not disentanglement (docs/gear.md): mixing f1 and
    alpha in every coordinate (a rotation) leaves every score unchanged, while a
    coordinate-based disentanglement measure (DCI, MIG) would drop."""
    scales = g.factor_scales(list(tones.factors))
    ideal = ideal_embedding(tones.factors, scales)
    ideal = ideal + 1e-3 * np.random.default_rng(0).normal(size=ideal.shape)  # no distance ties
    c = np.sqrt(0.5)
    mixed = ideal @ np.array([[c, c, 0.0], [c, -c, 0.0], [0.0, 0.0, 1.0]])  # (f1+a, f1-a, r)/sqrt2
    assert np.all(np.abs(np.corrcoef(mixed.T, ideal.T)[:2, 3:5]) > 0.5)  # both units carry both
    a = analyse(ideal, tones.factors, scales, isomap_neighbors=30, seed=0)
    b = analyse(mixed, tones.factors, scales, isomap_neighbors=30, seed=0)
    for name in tones.factors:
        for key in ("knn_r2_k10", "knn_r2_k40", "isomap_linear_r2", "sensitivity", "distance_effect"):
            assert b.per_factor[name][key] == pytest.approx(a.per_factor[name][key], abs=1e-6), (name, key)
