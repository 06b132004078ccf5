"""The lean L-BFGS-B driver takes exactly scipy's iterates, with less overhead."""

from __future__ import annotations

import numpy as np
import pytest

from hear_probes.probes.timbre import lbfgsb
from hear_probes.probes.timbre.lbfgsb import LbfgsbOptions, minimize_lbfgsb
from hear_probes.probes.timbre.metric import (
    FitOptions,
    PearsonObjective,
    fit_metric,
    pair_differences,
    warm_start,
)


def _problem(seed: int, n_sounds: int = 12, dim: int = 40):
    rng = np.random.default_rng(seed)
    feats = rng.standard_normal((n_sounds, dim)) * rng.uniform(0.1, 3.0, dim)
    D = pair_differences(feats)
    s = D[:, :5] @ rng.uniform(0, 1, 5) + 0.3 * rng.standard_normal(D.shape[0])
    return D, s


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("maxiter", "tol"), [(300, 1e-36), (10_000, 1e-9)])
def test_direct_driver_is_bit_identical_to_scipy(seed, maxiter, tol):
    D, s = _problem(seed)
    w0 = warm_start(D, s)
    out = {}
    for driver in ("direct", "scipy"):
        obj = PearsonObjective(D, s)
        out[driver] = minimize_lbfgsb(obj.value_and_gradient, w0, 1.0, 1e15, LbfgsbOptions(
            maxiter=maxiter, maxls=50, ftol=tol, gtol=tol, driver=driver))
    direct, ref = out["direct"], out["scipy"]
    assert direct.driver == "direct" and ref.driver == "scipy"
    np.testing.assert_array_equal(direct.x, ref.x)
    assert direct.nit == ref.nit
    assert direct.nfev == ref.nfev
    assert direct.success == ref.success
    assert direct.message == ref.message
    assert direct.fun == ref.fun


def test_direct_driver_stops_on_convergence_with_scipy_message():
    # a convex quadratic inside the box converges well before maxiter
    target = np.linspace(2.0, 5.0, 7)

    def fg(x):
        r = x - target
        return float(r @ r), 2 * r

    res = minimize_lbfgsb(fg, np.ones(7) * 1.5, 1.0, 10.0, LbfgsbOptions(
        maxiter=1000, maxls=20, ftol=1e-12, gtol=1e-10, driver="direct"))
    assert res.success and res.nit < 50
    assert res.message.startswith("CONVERGENCE")
    np.testing.assert_allclose(res.x, target, atol=1e-6)


def test_start_outside_the_box_is_clipped():
    def fg(x):
        return float(np.sum(x)), np.ones_like(x)

    res = minimize_lbfgsb(fg, np.array([0.1, 50.0]), 1.0, 10.0, LbfgsbOptions(
        maxiter=100, maxls=20, ftol=1e-12, gtol=1e-12))
    np.testing.assert_allclose(res.x, [1.0, 1.0])


def test_fit_metric_records_driver_and_matches_scipy_fit():
    D, s = _problem(3)
    a = fit_metric(D, s, FitOptions(init="warm", maxiter=500))
    b = fit_metric(D, s, FitOptions(init="warm", maxiter=500, driver="scipy"))
    assert a.extra["driver"] == "direct" and b.extra["driver"] == "scipy"
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.explained_variance == b.explained_variance


def test_auto_falls_back_to_scipy_when_the_private_routine_is_missing(monkeypatch):
    monkeypatch.setattr(lbfgsb, "_setulb", lambda: None)
    D, s = _problem(4)
    res = fit_metric(D, s, FitOptions(init="warm", maxiter=50))
    assert res.extra["driver"] == "scipy"
    with pytest.raises(RuntimeError, match="setulb"):
        fit_metric(D, s, FitOptions(init="warm", maxiter=50, driver="direct"))


def test_auto_falls_back_when_the_private_signature_changed(monkeypatch):
    def incompatible(*args):
        raise TypeError("setulb() takes 5 positional arguments")

    monkeypatch.setattr(lbfgsb, "_setulb", lambda: incompatible)
    D, s = _problem(5)
    assert fit_metric(D, s, FitOptions(init="warm", maxiter=50)).extra["driver"] == "scipy"


def test_unknown_driver_is_rejected():
    with pytest.raises(ValueError, match="driver"):
        FitOptions(driver="fortran")
