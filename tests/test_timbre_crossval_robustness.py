"""Leave-one-sound-out cross-validation and the robustness sweep on small synthetic studies."""

from __future__ import annotations

import numpy as np
import pytest

from hear_probes.probes.timbre.crossval import loso_tasks, pool_loso
from hear_probes.probes.timbre.metric import FitOptions, pair_differences
from hear_probes.probes.timbre.parallel import run_tasks
from hear_probes.probes.timbre.robustness import (
    PAPER_DELTAS,
    RobustnessConfig,
    area_under_curve,
    collect_curve,
    degrade,
    noise_rng,
    relative_area_db,
    robustness_tasks,
)
from hear_probes.probes.timbre.study import prepare_study

FAST = FitOptions(maxiter=300)


def _study(n=9, dim=8, seed=0, informative=True, name="Syn"):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim))
    D = pair_differences(x)
    if informative:
        s = D[:, 0] + 0.5 * D[:, 1] + 0.05 * rng.normal(size=D.shape[0])
        s = (s - s.min()) / (s.max() - s.min())
    else:
        s = rng.uniform(size=D.shape[0])
    m = np.full((n, n), np.nan)
    m[np.triu_indices(n, 1)] = s
    return prepare_study(name, x, [f"s{k}" for k in range(n)], m, n_raters=16)


def test_loso_structure_and_generalisation():
    st = _study()
    tasks = loso_tasks(st, FAST)
    assert len(tasks) == st.n_sounds
    i, j = np.triu_indices(st.n_sounds, 1)
    for k, t in enumerate(tasks):
        held = (i == k) | (j == k)
        assert np.isnan(t.train[held]).all() and np.isfinite(t.train[~held]).all()
        assert np.isfinite(t.score[held]).all() and np.isnan(t.score[~held]).all()
    res = pool_loso(st, run_tasks(tasks, workers=1, quiet=True))
    assert res.n_failed == 0
    assert np.isfinite(res.predicted).all()
    # a low-dimensional true metric generalises to unseen sounds
    assert res.explained_variance > 0.8
    assert res.fold_mean > 0.7


def test_loso_reveals_overfitting_of_random_ratings():
    st = _study(n=8, dim=40, informative=False, seed=1)
    full = run_tasks(loso_tasks(st, FAST), workers=1, quiet=True)
    res = pool_loso(st, full)
    assert res.explained_variance < 0.3


def test_degrade_clips_and_keeps_nan():
    s = np.array([0.0, 0.5, 1.0, np.nan])
    y = degrade(s, 10.0, noise_rng(0, "A", 0, 0))
    assert np.nanmin(y) >= 0 and np.nanmax(y) <= 1 and np.isnan(y[3])
    a = degrade(s, 1.0, noise_rng(3, "A", 2, 1))
    b = degrade(s, 1.0, noise_rng(3, "A", 2, 1))
    c = degrade(s, 1.0, noise_rng(3, "B", 2, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_paper_deltas():
    assert len(PAPER_DELTAS) == 9
    assert PAPER_DELTAS[0] == pytest.approx(0.1) and PAPER_DELTAS[-1] == pytest.approx(10)
    np.testing.assert_allclose(np.diff(np.log10(PAPER_DELTAS)), 0.25)


def test_area_and_relative_db():
    d = np.logspace(-1, 1, 9)
    assert area_under_curve(d, np.ones(9)) == pytest.approx(2.0)
    assert area_under_curve(d, np.linspace(1, 0, 9)) == pytest.approx(1.0)
    assert np.isnan(area_under_curve(d, [np.nan] + [1.0] * 8))
    assert relative_area_db(1.0, 0.5) == pytest.approx(10 * np.log10(2))
    assert np.isnan(relative_area_db(0.0, 1.0))


def test_small_robustness_sweep():
    st = _study()
    cfg = RobustnessConfig(deltas=(0.01, 0.3, 10.0), realisations=2, seed=4)
    tasks = robustness_tasks(st, cfg, FAST)
    assert len(tasks) == 6
    outs = run_tasks(tasks, workers=1, quiet=True)
    curve = collect_curve(st, cfg, outs)
    assert curve.ev.shape == (3, 2)
    assert curve.ev_mean[0] > 0.8            # tiny noise: nearly the clean fit
    assert curve.ev_mean[0] > curve.ev_mean[-1]  # heavy noise degrades
    assert 0 < curve.area <= np.log10(10.0 / 0.01) + 1e-12
    assert curve.delta_bar == pytest.approx(0.4)
    d = curve.to_dict()
    assert set(d) >= {"deltas", "ev_mean", "ev_std", "area"}
    # reproducible
    again = collect_curve(st, cfg, run_tasks(robustness_tasks(st, cfg, FAST), workers=1, quiet=True))
    np.testing.assert_array_equal(curve.ev, again.ev)


def test_constant_training_ratings_are_counted_not_hidden():
    st = _study(n=4, dim=3)
    cfg = RobustnessConfig(deltas=(1e3, 2e3), realisations=3, seed=0)
    tasks = robustness_tasks(st, cfg, FAST)
    for t in tasks[:2]:
        t.train[:] = 1.0  # what clipping can produce on a 6-pair study
    curve = collect_curve(st, cfg, run_tasks(tasks, workers=1, quiet=True))
    assert curve.n_failed == 2
    assert np.isnan(curve.ev[0, 0]) and np.isnan(curve.ev[0, 1])
