"""Metric learning core: objective, analytic gradient, warm start, fits, NaN handling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls

from hear_probes.probes.timbre.metric import (
    FitOptions,
    PearsonObjective,
    exact_start,
    fit_metric,
    max_explained_variance,
    pair_differences,
    pearson,
    ratings_vector,
    warm_start,
)


def _problem(n_sounds=10, dim=6, seed=0, noise=0.05):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_sounds, dim))
    D = pair_differences(x)
    u_true = np.zeros(dim)
    u_true[:2] = [1.0, 0.3]
    s = D @ u_true + noise * rng.normal(size=D.shape[0])
    return x, D, s


def test_pair_differences_order_matches_upper_triangle():
    x = np.arange(12, dtype=float).reshape(4, 3) ** 1.5
    D = pair_differences(x)
    i, j = np.triu_indices(4, 1)
    assert D.shape == (6, 3)
    for p, (a, b) in enumerate(zip(i, j, strict=True)):
        np.testing.assert_allclose(D[p], (x[a] - x[b]) ** 2)
    m = np.arange(16, dtype=float).reshape(4, 4)
    np.testing.assert_array_equal(ratings_vector(m), [1, 2, 3, 6, 7, 11])


def test_objective_is_minus_pearson_of_squared_distances():
    _, D, s = _problem()
    w = np.linspace(1, 3, D.shape[1])
    f, _ = PearsonObjective(D, s).value_and_gradient(w)
    assert f == pytest.approx(-np.corrcoef(D @ w**-2, s)[0, 1], abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    _, D, s = _problem(seed=seed)
    s = s + rng.uniform(0, 0.5, s.size)
    s[3] = np.nan  # a missing rating must not break the gradient
    obj = PearsonObjective(D, s)
    w = rng.uniform(1, 4, D.shape[1])
    _, g = obj.value_and_gradient(w)
    h = 1e-6
    fd = np.array([
        (obj.value_and_gradient(w + h * e)[0] - obj.value_and_gradient(w - h * e)[0]) / (2 * h)
        for e in np.eye(w.size)
    ])
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-9)


def test_gradient_includes_mean_derivative_explicitly():
    """Eq. (2) differentiated term by term, with d(mu_w)/dw written out, equals ours.

    Note: when the ratings and the distances are centred over the same pairs, the mean term
    multiplies centred quantities and sums to zero; it matters as soon as the mean of d_w^2
    and the correlation sums run over different pairs (e.g. missing ratings), which is why
    the mean is taken over the rated pairs only here.
    """
    rng = np.random.default_rng(3)
    _, D, s = _problem(seed=3)
    s[[1, 4]] = np.nan
    ok = np.isfinite(s)
    w = rng.uniform(1, 3, D.shape[1])
    u = w**-2
    Dv, sv = D[ok], s[ok]
    d = Dv @ u
    n = d.size
    mu, sd = d.mean(), d.std()
    t = (sv - sv.mean()) / sv.std()
    p = np.sum((d - mu) * t) / (n * sd)
    dd_dw = Dv * (-2 * w**-3)                      # d(d_p)/dw_k
    dmu_dw = dd_dw.mean(axis=0)                    # the term missing in Thoret et al.'s code
    dsd_dw = ((d - mu) @ (dd_dw - dmu_dw)) / (n * sd)
    dp_dw = ((t @ (dd_dw - dmu_dw)) / (n * sd)) - p * dsd_dw / sd
    f, g = PearsonObjective(D, s).value_and_gradient(w)
    assert -f == pytest.approx(p, abs=1e-12)
    np.testing.assert_allclose(g, -dp_dw, rtol=1e-8, atol=1e-12)


def test_warm_start_is_nnls_inverse_sqrt():
    _, D, s = _problem()
    x, _ = nnls(D, s)
    w0 = warm_start(D, s)
    expected = np.clip(1 / np.sqrt(x + np.finfo(float).eps), 1, 1e15)
    np.testing.assert_allclose(w0, expected)
    # the warm start already explains noise-free ratings almost perfectly
    _, D0, s0 = _problem(noise=0.0)
    assert PearsonObjective(D0, s0).pearson(warm_start(D0, s0)) > 0.999


def test_fit_improves_on_start_and_respects_bounds():
    _, D, s = _problem(noise=0.3, seed=3)
    res = fit_metric(D, s, FitOptions(init="warm", maxiter=500))
    assert res.pearson >= res.pearson_init - 1e-12
    assert res.explained_variance == pytest.approx(res.pearson**2)
    assert np.all(res.weights >= 1) and np.all(res.weights <= 1e15)
    assert res.explained_variance <= max_explained_variance(D, s) + 1e-9


def test_exact_start_is_the_global_optimum():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(9, 12))
    D = pair_differences(x)
    s = rng.uniform(size=D.shape[0])
    best = max_explained_variance(D, s)
    w = exact_start(D, s)
    assert PearsonObjective(D, s).pearson(w) ** 2 == pytest.approx(best, abs=1e-9)
    # no random restart of L-BFGS-B does better
    for seed in range(5):
        r = fit_metric(D, s, FitOptions(init="random", maxiter=300), seed=seed)
        assert r.explained_variance <= best + 1e-7


def test_random_init_is_seeded():
    _, D, s = _problem(noise=0.3)
    opts = FitOptions(init="random", maxiter=50)
    a = fit_metric(D, s, opts, seed=7)
    b = fit_metric(D, s, opts, seed=7)
    np.testing.assert_array_equal(a.weights, b.weights)


def test_nan_ratings_are_ignored_pairwise():
    _, D, s = _problem(noise=0.2, seed=4)
    s_nan = s.copy()
    drop = [0, 5, 11]
    s_nan[drop] = np.nan
    keep = np.setdiff1d(np.arange(s.size), drop)
    w = np.linspace(1, 2, D.shape[1])
    assert PearsonObjective(D, s_nan).pearson(w) == pytest.approx(
        PearsonObjective(D[keep], s[keep]).pearson(w), abs=1e-12)
    a = fit_metric(D, s_nan, FitOptions(init="warm", maxiter=300))
    b = fit_metric(D[keep], s[keep], FitOptions(init="warm", maxiter=300))
    assert a.explained_variance == pytest.approx(b.explained_variance, abs=1e-6)
    assert pearson([1, 2, np.nan, 4], [1, 2, 3, 5]) == pytest.approx(
        np.corrcoef([1, 2, 4], [1, 2, 5])[0, 1])


def test_inactive_dimensions_keep_w_max():
    _, D, s = _problem()
    active = np.ones(D.shape[1], bool)
    active[-1] = False
    res = fit_metric(D, s, FitOptions(init="warm", maxiter=100), active=active)
    assert res.weights[-1] == 1e15


def test_options_validation():
    with pytest.raises(ValueError, match="init"):
        FitOptions(init="cold")
    with pytest.raises(ValueError, match="w_min"):
        FitOptions(w_min=2, w_max=1)
    assert FitOptions.paper().ftol == 1e-36


def test_pair_matrix_is_the_symmetric_square_of_pair_values():
    """The one ``pairs -> [n, n]`` helper shared by ``agreement`` and ``uncertainty``."""
    from hear_probes.probes.timbre import agreement, uncertainty
    from hear_probes.probes.timbre.metric import pair_matrix

    m = pair_matrix(np.array([1.0, 2.0, 3.0]), 3)
    np.testing.assert_array_equal(m, [[np.nan, 1, 2], [1, np.nan, 3], [2, 3, np.nan]])
    assert agreement.pair_matrix is pair_matrix and uncertainty.pair_matrix is pair_matrix
