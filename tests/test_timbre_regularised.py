"""Regularised learned metric: kernel form = primal ridge, exact inner LOSO shortcut, nested score."""

import numpy as np
import pytest

from hear_probes.probes.timbre.metric import pair_differences, pair_indices
from hear_probes.probes.timbre.regularised import _design, _inner_loso, fit_predict, nested_loso


def _problem(n=10, d=20, seed=0, noise=0.3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    D = pair_differences(x)
    s = D[:, :3].sum(1) + noise * rng.standard_normal(D.shape[0])
    return x, D, s


def _primal(D, F, s, train, test, alpha):
    """min ||Dt v + F c - s||^2 + alpha ||v||^2 on the train pairs, predicted on test."""
    Dt = (D - D.mean(0)) / D.std(0)
    A = np.hstack([Dt[train], F[train]])
    P = np.diag(np.r_[np.full(Dt.shape[1], alpha), 0.0, 0.0])
    coef = np.linalg.solve(A.T @ A + P, A.T @ s[train])
    return np.hstack([Dt[test], F[test]]) @ coef


def test_kernel_form_equals_primal_ridge():
    x, D, s = _problem()
    K, F = _design(x)
    train = np.ones(s.size, bool)
    train[:9] = False
    lam = np.linalg.eigvalsh(K[np.ix_(train, train)])
    for gamma in (1e-3, 0.1, 10.0):
        got = fit_predict(K, F, s, train, ~train, (gamma,))[0]
        want = _primal(D, F, s, train, ~train, gamma * np.maximum(lam, 0).mean())
        np.testing.assert_allclose(got, want, atol=1e-8)


def test_inner_leave_one_sound_out_shortcut_is_exact():
    x, D, s = _problem(n=9)
    K, F = _design(x)
    i, j = pair_indices(9)
    tr = np.flatnonzero((i != 0) & (j != 0))
    groups = [np.flatnonzero((i[tr] == m) | (j[tr] == m)) for m in range(1, 9)]
    gammas = (0.01, 1.0, float("inf"))
    fast = _inner_loso(K[np.ix_(tr, tr)], F[tr], s[tr], groups, gammas)
    scale = np.maximum(np.linalg.eigvalsh(K[np.ix_(tr, tr)]), 0).mean()
    for g_i, gamma in enumerate(gammas):
        acc, cnt = np.zeros(tr.size), np.zeros(tr.size)
        for g in groups:
            keep = np.ones(tr.size, bool)
            keep[g] = False
            sub_train = np.zeros(s.size, bool)
            sub_train[tr[keep]] = True
            sub_test = np.zeros(s.size, bool)
            sub_test[tr[g]] = True
            if np.isfinite(gamma):
                pred = _primal(D, F, s, sub_train, sub_test, gamma * scale)
            else:
                c = np.linalg.lstsq(F[sub_train], s[sub_train], rcond=None)[0]
                pred = F[sub_test] @ c
            acc[g] += pred[np.argsort(np.argsort(tr[g]))]
            cnt[g] += 1
        np.testing.assert_allclose(fast[g_i], acc / cnt, atol=1e-8)


def test_nested_score_separates_informative_from_unrelated_features():
    x, _, s = _problem(n=12, d=30)
    good = nested_loso(x, s)
    assert good.explained_variance > 0.8
    assert good.chosen_gamma.shape == (12,) and np.all(np.isfinite(good.chosen_gamma))
    unrelated = nested_loso(np.random.default_rng(5).standard_normal((12, 30)), s)
    assert unrelated.explained_variance < 0.3


def test_missing_ratings_are_left_out():
    x, _, s = _problem(n=10)
    s = s.copy()
    s[[2, 7, 30]] = np.nan
    res = nested_loso(x, s)
    assert np.isfinite(res.explained_variance)
    assert np.all(np.isnan(res.predicted[[2, 7, 30]]))
    assert res.to_dict()["explained_variance"] == pytest.approx(res.explained_variance)
