"""Issue 21, defects 1-3: signed scores, "no positive metric", robustness that cannot interpolate."""

from __future__ import annotations

import numpy as np
import pytest

from hear_probes.probes.timbre.agreement import agreement
from hear_probes.probes.timbre.crossval import pool_loso
from hear_probes.probes.timbre.metric import (
    FitOptions,
    fit_metric,
    max_explained_variance,
    pair_differences,
    pair_indices,
)
from hear_probes.probes.timbre.regularised import nested_loso
from hear_probes.probes.timbre.robustness import RobustnessConfig, collect_curve
from hear_probes.probes.timbre.settings import TimbreSettings
from hear_probes.probes.timbre.studies import run_studies
from hear_probes.probes.timbre.study import prepare_study
from hear_probes.probes.timbre.tasks import FitOutcome


def _study(x, s, name="Syn"):
    n = x.shape[0]
    m = np.full((n, n), np.nan)
    m[np.triu_indices(n, 1)] = s
    return prepare_study(name, x, [f"s{k}" for k in range(n)], m, n_raters=16)


def _outcome(key, pred, pearson_train=0.5, score=np.nan, no_positive=False):
    return FitOutcome(key, pearson_train, score, np.asarray(pred, float), 0, True, "", 0.0,
                      extra={"no_positive_metric": no_positive})


# -- defect 1: an anti-correlation never raises a score ----------------------------------------
def test_unlearned_anti_correlation_gives_negative_explained_variance():
    rng = np.random.default_rng(0)
    d = rng.uniform(size=45)
    s = 1.0 - d + 0.05 * rng.normal(size=45)
    a = agreement(d, s, 10)
    assert a["pearson"] < -0.9
    assert a["explained_variance"] == pytest.approx(-a["pearson"] ** 2)


def test_loso_anti_correlated_held_out_predictions_score_negative():
    # every fold predicts its training pairs perfectly and its held-out pairs reversed
    n = 8
    i, j = pair_indices(n)
    s = np.random.default_rng(1).uniform(size=i.size)
    x = np.random.default_rng(2).normal(size=(n, 3))
    st = _study(x, s)
    outs = []
    for k in range(n):
        held = (i == k) | (j == k)
        outs.append(_outcome(("loso", "Syn", k), np.where(held, -s, s)))
    res = pool_loso(st, outs)
    assert res.pearson < -0.5
    assert res.explained_variance == pytest.approx(-res.pearson ** 2)
    assert np.all(res.fold_explained_variance < 0)


def test_regularised_explained_variance_keeps_the_sign_of_r():
    signs = set()
    for seed in range(12):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(9, 6))
        s = rng.uniform(size=36)
        res = nested_loso(x, s)
        assert res.explained_variance == pytest.approx(np.sign(res.pearson) * res.pearson ** 2)
        signs.add(np.sign(res.pearson))
    assert -1.0 in signs  # the check above was exercised on an anti-correlated case


def test_robustness_curve_is_signed():
    x = np.random.default_rng(0).normal(size=(5, 3))
    st = _study(x, np.linspace(0, 1, 10))
    cfg = RobustnessConfig(deltas=(0.1, 1.0), realisations=1)
    outs = [_outcome(("robust", "Syn", 0, 0), np.zeros(10), score=-0.6),
            _outcome(("robust", "Syn", 1, 0), np.zeros(10), score=0.5)]
    curve = collect_curve(st, cfg, outs)
    assert curve.ev[0, 0] == pytest.approx(-0.36)
    assert curve.ev[1, 0] == pytest.approx(0.25)


# -- defect 2: no non-negative weighting correlates positively ----------------------------------
def _no_positive_study():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(8, 1))
    x = np.hstack([base, 2.0 * base, -base])  # every column's squared differences are alike
    s = -pair_differences(base)[:, 0]
    s = s - s.min()
    return x, s


def test_no_positive_metric_is_detected_not_reported_as_a_fit():
    x, s = _no_positive_study()
    D = pair_differences(x)
    res = fit_metric(D, s, FitOptions())
    assert res.extra["no_positive_metric"] is True
    assert np.isnan(max_explained_variance(D, s))
    good = fit_metric(D, -s + s.max(), FitOptions())
    assert good.extra["no_positive_metric"] is False


def test_no_positive_metric_study_is_flagged_in_the_payload():
    from hear_probes.probes.timbre.results import build_payload, csv_rows

    x, s = _no_positive_study()
    st = _study(x, s, "NoPos")
    ok = _study(np.random.default_rng(0).normal(size=(8, 4)),
                np.random.default_rng(1).uniform(size=28), "Fine")
    settings = TimbreSettings(loso=False, regularised=False, uncertainty=None, workers=1)
    results, _ = run_studies([st, ok], settings, quiet=True)
    assert results[0].no_positive_metric and np.isnan(results[0].explained_variance)
    payload = build_payload(results, settings, {"model_id": "m"}, {})
    assert payload["no_positive_metric"] == ["NoPos"]
    assert np.isnan(payload["explained_variance"]["NoPos"])
    assert payload["median"] == pytest.approx(np.median([0.0, results[1].explained_variance]))
    row = next(r for r in csv_rows(payload) if r["dataset"] == "NoPos")
    assert row["explained_variance"] == "no positive metric"


# -- defect 3: robustness must depend on the representation -------------------------------------
def test_two_interpolating_representations_get_different_robustness():
    n = 8  # 28 pairs, 400 dimensions: the in-sample fit is perfect for both
    rng = np.random.default_rng(7)
    informative = rng.normal(size=(n, 400))
    s = pair_differences(informative).sum(1)  # the representation's own distance
    s = (s - s.min()) / (s.max() - s.min())
    unrelated = rng.normal(size=(n, 400))
    cfg = RobustnessConfig(deltas=(0.1, 1.0, 10.0), realisations=2, seed=1)
    settings = TimbreSettings(loso=False, regularised=False, robustness=cfg, uncertainty=None,
                              workers=1)
    (a,), _ = run_studies([_study(informative, s, "S")], settings, quiet=True)
    (b,), _ = run_studies([_study(unrelated, s, "S")], settings, quiet=True)
    assert a.explained_variance > 0.99 and b.explained_variance > 0.99
    # the paper's in-sample curve is the same for both (it interpolates the noisy ratings) ...
    assert a.robustness_in_sample.area == pytest.approx(b.robustness_in_sample.area, abs=1e-6)
    # ... the score does not
    assert a.robustness.area > b.robustness.area + 0.2
