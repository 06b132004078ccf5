"""timbremetrics-compatible scores against a transcription of the packages' own code.

``tests/fixtures/timbremetrics_reference.json`` was written by
``tests/tools/make_timbremetrics_fixture.py``: a loop-by-loop numpy transcription of
``ben-hayes/timbre-dissimilarity-metrics`` (``TripletAgreement``, ``ItemRankingAgreement``,
``Mantel``, ``TripletKNNAgreement``, ``MAE``, ``MSE``) and ``tiianhk/timbremetrics`` (``triplet_agreement``, ``spearman_corr``,
``kendall_corr``, ``mae``) run on a seeded 9-sound example. The packages are not on PyPI and
need torch/torchmetrics, so the fixture stands for them: each function there keeps the
package's statements (its ``argsort`` "ranks", its raw upper-triangular ratings, its pair
permutations and ``#(r <= r_perm) / P`` p-value), with torch calls replaced by their numpy
equivalents. The vectorised implementation shares no code with it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kendalltau, pearsonr, spearmanr

from hear_probes.probes.timbre import timbremetrics as tm

FIXTURE = Path(__file__).parent / "fixtures" / "timbremetrics_reference.json"


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def dr(ref) -> tuple[np.ndarray, np.ndarray]:
    return np.array(ref["distances"]), np.array(ref["ratings"])


def test_hayes_package_variants_match_transcription(ref, dr):
    d, r = dr
    h = ref["hayes"]
    assert tm.triplet_agreement_package(d, r) == pytest.approx(h["triplet_agreement"], abs=1e-12)
    assert tm.triplet_agreement_package(d, r, enforce_margin=False) == pytest.approx(
        h["triplet_agreement_no_margin"], abs=1e-12
    )
    assert tm.item_ranking_agreement_package(d, r) == pytest.approx(h["item_ranking_agreement"], abs=1e-12)
    assert tm.knn_triplet_agreement_package(d, r) == pytest.approx(h["knn_triplet_agreement"], abs=1e-12)
    assert tm.mean_error_package(d, r) == pytest.approx(h["mae"], abs=1e-12)
    assert tm.mean_error_package(d, r, power=2) == pytest.approx(h["mse"], abs=1e-12)
    n = ref["n_permutations"]
    for method in ("pearson", "spearman"):
        stat, p = tm.mantel_package(d, r, method=method, n_permutations=n, seed=ref["seed"])
        assert stat == pytest.approx(h[f"mantel_{method}"], abs=1e-12)
        assert p == pytest.approx(h[f"mantel_{method}_p"], abs=1e-12)


def test_tiianhk_variants_match_transcription(ref, dr):
    d, r = dr
    t = ref["tiianhk"]
    assert tm.triplet_agreement_tiianhk(d, r) == pytest.approx(t["triplet_agreement"], abs=1e-12)
    assert tm.spearman_items_tiianhk(d, r) == pytest.approx(t["spearman_corr"], abs=1e-12)
    assert tm.kendall_items_tiianhk(d, r) == pytest.approx(t["kendall_corr"], abs=1e-12)
    assert tm.mae_tiianhk(d, r) == pytest.approx(t["mae"], abs=1e-12)


def test_package_mantel_spearman_is_not_spearman(dr):
    """The package's argsort formula differs from Spearman's rho; the textbook variant is rho."""
    d, r = dr
    iu = np.triu_indices(d.shape[0], 1)
    rho = spearmanr(d[iu], r[iu]).statistic
    assert tm.mantel(d, r, method="spearman", n_permutations=0)[0] == pytest.approx(rho, abs=1e-12)
    assert abs(tm.mantel_spearman_package(d, r) - rho) > 0.2
    assert tm.mantel(d, r, method="pearson", n_permutations=0)[0] == pytest.approx(
        pearsonr(d[iu], r[iu]).statistic, abs=1e-12
    )


def test_textbook_mantel_p_matches_a_loop_over_sound_permutations(dr):
    d, r = dr
    n, n_perm, seed = d.shape[0], 300, 3
    stat, p = tm.mantel(d, r, method="spearman", n_permutations=n_perm, seed=seed)
    perms = np.random.default_rng(seed).permuted(np.broadcast_to(np.arange(n), (n_perm, n)), axis=1)
    iu = np.triu_indices(n, 1)
    null = [spearmanr(d[np.ix_(q, q)][iu], r[iu]).statistic for q in perms]
    expected = (1 + np.sum(np.array(null) >= stat - 1e-12)) / (1 + n_perm)
    assert p == pytest.approx(expected, abs=1e-12)
    assert 0 < p < 0.05  # ratings built from the distances: far above the null


def test_mantel_null_is_uniform_for_unrelated_ratings():
    rng = np.random.default_rng(0)
    ps = []
    for _ in range(40):
        x = rng.normal(size=(10, 3))
        d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
        r = np.triu(rng.random((10, 10)), 1)
        ps.append(tm.mantel(d, r, n_permutations=99, seed=int(rng.integers(1 << 30)))[1])
    assert 0.3 < np.mean(ps) < 0.7
    assert np.mean(np.array(ps) < 0.05) < 0.2


def test_item_ranking_textbook_excludes_anchor_and_perfect_is_one(dr):
    d, _ = dr
    assert tm.item_ranking_agreement(d, np.triu(d, 1)) == 1.0
    assert tm.item_ranking_agreement_package(d, np.triu(d, 1)) == 1.0
    assert tm.triplet_agreement_radius(d, np.triu(d, 1)) == 1.0


def test_ratings_read_from_the_upper_triangle_only(dr):
    """Lower triangle and diagonal are ignored (NaN there, as in TimbreDataset, is fine)."""
    d, r = dr
    with_nan = r + np.tril(np.full_like(r, np.nan))
    assert tm.timbremetrics_scores(d, with_nan, n_permutations=20) == tm.timbremetrics_scores(d, r, n_permutations=20)
    missing = r.copy()
    missing[0, 1] = np.nan
    with pytest.raises(ValueError, match="1 pair ratings are NaN"):
        tm.timbremetrics_scores(d, missing, n_permutations=0)


def test_package_triplets_differ_from_the_intended_definition(dr):
    """The package's raw upper-triangular ratings make the anchor and the sounds before it positives."""
    d, r = dr
    assert tm.triplet_agreement_package(d, r) != pytest.approx(tm.triplet_agreement_radius(d, r))


def test_kendall_items_equals_scipy_tau_b_per_anchor(dr):
    d, r = dr
    n = d.shape[0]
    keep = ~np.eye(n, dtype=bool)
    dn = np.triu(d, 1) / d.max()
    rn = r / r.max()
    a = (dn + dn.T)[keep].reshape(n, n - 1)
    b = (rn + rn.T)[keep].reshape(n, n - 1)
    expected = np.mean([kendalltau(x, y).statistic for x, y in zip(a, b, strict=True)])
    assert tm.kendall_items_tiianhk(d, r) == pytest.approx(expected, abs=1e-12)


def test_scores_dict_has_every_variant(dr):
    d, r = dr
    out = tm.timbremetrics_scores(d, r, n_permutations=50, seed=0)
    assert set(out) >= {
        "hayes_triplet_agreement_package", "hayes_mantel_spearman_package", "mantel_spearman_rho",
        "mantel_spearman_rho_p", "item_ranking_agreement", "tiianhk_triplet_agreement",
    }
    assert all(np.isfinite(v) for v in out.values())


@pytest.mark.parametrize(
    ("d", "r", "match"),
    [
        (np.zeros((3, 4)), np.zeros((3, 4)), "square"),
        (np.ones((4, 4)), np.ones((5, 5)), "differ in size"),
        (np.full((4, 4), np.nan), np.ones((4, 4)), "NaN"),
        (np.ones((4, 4)), np.full((4, 4), np.nan), "pair ratings are NaN"),
    ],
)
def test_bad_input_one_line_error(d, r, match):
    with pytest.raises(ValueError, match=match):
        tm.timbremetrics_scores(d, r, n_permutations=0)


def test_condensed_distances_accepted(dr):
    from scipy.spatial.distance import squareform

    d, r = dr
    assert tm.timbremetrics_scores(squareform(d), r, n_permutations=10) == tm.timbremetrics_scores(d, r, n_permutations=10)
    with pytest.raises(ValueError, match="not n\\(n-1\\)/2"):
        tm.timbremetrics_scores(np.ones(7), r, n_permutations=0)


def test_bad_method():
    d = np.ones((4, 4)) - np.eye(4)
    with pytest.raises(ValueError, match="method"):
        tm.mantel(d, d, method="kendall")


def test_rowwise_pearson_against_a_vector_or_row_by_row():
    """The one row-wise Pearson of the Mantel nulls (vector) and the tiianhk items (row by row)."""
    from scipy.stats import pearsonr

    from hear_probes.probes.timbre.timbremetrics import _rowwise_pearson

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 7)), rng.normal(size=(4, 7))
    np.testing.assert_allclose(_rowwise_pearson(x, y[0]), [pearsonr(r, y[0])[0] for r in x])
    np.testing.assert_allclose(_rowwise_pearson(x, y), [pearsonr(a, b)[0] for a, b in zip(x, y, strict=True)])
    assert np.isnan(_rowwise_pearson(np.ones((2, 7)), y[:2])).all()


@pytest.mark.parametrize(("alternative", "hits"), [("greater", 2), ("less", 4), ("two-sided", 3)])
def test_permutation_p_values_count_the_same_hits(alternative, hits):
    """Package ``#hits / P`` and textbook ``(1 + #hits) / (1 + P)`` share one hit rule."""
    from hear_probes.probes.timbre.timbremetrics import _p_package, _p_textbook

    null = np.array([-0.5, -0.2, 0.2, 0.3, 0.6])
    assert _p_package(0.3, null, alternative) == hits / 5
    assert _p_textbook(0.3, null, alternative) == (1 + hits) / 6
