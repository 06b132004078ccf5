"""L-BFGS-B through scipy's public ``minimize``: same iterates as before, no private routine."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from hear_probes.probes.timbre.lbfgsb import LbfgsbOptions, minimize_lbfgsb
from hear_probes.probes.timbre.metric import (
    FitOptions,
    PearsonObjective,
    fit_metric,
    pair_differences,
    warm_start,
)

PACKAGE = Path(__file__).resolve().parents[1] / "hear_probes"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "timbre"


def _problem(seed: int, n_sounds: int = 12, dim: int = 40):
    rng = np.random.default_rng(seed)
    feats = rng.standard_normal((n_sounds, dim)) * rng.uniform(0.1, 3.0, dim)
    D = pair_differences(feats)
    s = D[:, :5] @ rng.uniform(0, 1, 5) + 0.3 * rng.standard_normal(D.shape[0])
    return D, s


def test_package_uses_no_private_scipy_module():
    """No ``scipy.*._private`` import anywhere in the package (was ``scipy.optimize._lbfgsb``)."""
    private = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for n in names:
                parts = n.split(".")
                if parts[0] == "scipy" and any(p.startswith("_") for p in parts[1:]):
                    private.append(f"{path.relative_to(PACKAGE)}: {n}")
    assert not private, private


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("maxiter", "tol"), [(300, 1e-36), (10_000, 1e-9)])
def test_same_iterates_as_scipy_minimize(seed, maxiter, tol):
    D, s = _problem(seed)
    w0 = warm_start(D, s)
    res = minimize_lbfgsb(PearsonObjective(D, s).value_and_gradient, w0, 1.0, 1e15, LbfgsbOptions(
        maxiter=maxiter, maxls=50, ftol=tol, gtol=tol))
    ref = minimize(PearsonObjective(D, s).value_and_gradient, w0, jac=True, method="L-BFGS-B",
                   bounds=[(1.0, 1e15)] * w0.size,
                   options={"maxiter": maxiter, "maxls": 50, "ftol": tol, "gtol": tol})
    assert res.driver == "scipy"
    np.testing.assert_array_equal(res.x, ref.x)
    assert (res.nit, res.nfev, res.success, res.fun) == (ref.nit, ref.nfev, ref.success, ref.fun)


def test_stops_on_convergence_with_scipy_message():
    target = np.linspace(2.0, 5.0, 7)

    def fg(x):
        r = x - target
        return float(r @ r), 2 * r

    res = minimize_lbfgsb(fg, np.ones(7) * 1.5, 1.0, 10.0, LbfgsbOptions(
        maxiter=1000, maxls=20, ftol=1e-12, gtol=1e-10))
    assert res.success and res.nit < 50
    assert "CONVERGENCE" in res.message
    np.testing.assert_allclose(res.x, target, atol=1e-6)


def test_start_outside_the_box_is_clipped():
    def fg(x):
        return float(np.sum(x)), np.ones_like(x)

    res = minimize_lbfgsb(fg, np.array([0.1, 50.0]), 1.0, 10.0, LbfgsbOptions(
        maxiter=100, maxls=20, ftol=1e-12, gtol=1e-12))
    np.testing.assert_allclose(res.x, [1.0, 1.0])


def test_fit_metric_records_driver_and_auto_equals_scipy():
    D, s = _problem(3)
    a = fit_metric(D, s, FitOptions(init="warm", maxiter=500))
    b = fit_metric(D, s, FitOptions(init="warm", maxiter=500, driver="scipy"))
    assert a.extra["driver"] == b.extra["driver"] == "scipy"
    np.testing.assert_array_equal(a.weights, b.weights)


def test_removed_direct_driver_and_unknown_drivers_are_rejected():
    with pytest.raises(ValueError, match="'direct'.*removed"):
        FitOptions(driver="direct")
    with pytest.raises(ValueError, match="driver"):
        FitOptions(driver="fortran")


@pytest.mark.skipif(not (DATA / "ratings").is_dir(), reason="no local timbre data")
def test_real_grey1977_warm_fit_matches_the_private_driver_numbers():
    """Grey1977, numpy STFT (44.1 kHz, 513 dims): the values the removed private driver gave.

    Recorded with ``driver="direct"`` (scipy 1.17.1) before the change: 300 iterations,
    334 evaluations, EV 0.7765231845832622; the public path gives the same to 1e-12.
    """
    from test_timbre_realdata import _stft_features

    from hear_probes.probes.timbre.study import prepare_study
    from hear_probes.stimuli.timbre import load_timbre_dataset

    ds = load_timbre_dataset(DATA, "Grey1977")
    st = prepare_study(ds.name, _stft_features(ds.sound_paths), ds.item_ids, ds.ratings,
                       n_raters=ds.n_raters)
    res = fit_metric(pair_differences(st.features), st.ratings, FitOptions(init="warm", maxiter=300))
    assert (res.n_iter, res.n_eval) == (300, 334)
    assert res.explained_variance == pytest.approx(0.7765231845832622, abs=1e-12)


@pytest.mark.skipif(not (DATA / "ratings").is_dir(), reason="no local timbre data")
@pytest.mark.parametrize("polish", [False, True])
def test_committed_stft_numbers_are_reproduced(polish):
    """results/stft/timbre.json (exact optimum, 16 kHz stft): Grey1977 and Barthet2010 to 1e-6.

    ``polish=True`` also runs L-BFGS-B (through ``scipy.optimize.minimize``) from the optimum:
    it cannot move it beyond rounding, so the committed numbers hold on that path too.
    """
    import json

    from hear_probes.audio import load_audio
    from hear_probes.hear_module import load_hear_module
    from hear_probes.probes.timbre.settings import TimbreSettings
    from hear_probes.probes.timbre.studies import load_studies
    from hear_probes.stimuli.timbre import load_timbre_dataset

    committed = json.loads((PACKAGE.parent / "results" / "stft" / "timbre.json").read_text())
    loaded = load_hear_module(name="stft")
    names = ["Grey1977", "Barthet2010"]
    emb = {}
    for name in names:
        ds = load_timbre_dataset(DATA, name)
        emb[name] = np.concatenate([loaded.scene_embeddings(
            load_audio(p, loaded.sample_rate, loaded.resample_method)[None, :]) for p in ds.sound_paths])
    for st in load_studies(DATA, names, lambda ds: emb[ds.name], TimbreSettings()):
        res = fit_metric(pair_differences(st.features), st.ratings,
                         FitOptions(polish=polish, maxiter=2000), active=st.active)
        assert res.explained_variance == pytest.approx(
            committed["explained_variance"][st.name], abs=1e-6), st.name
