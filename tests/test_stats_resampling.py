"""hear_probes.stats: sound bootstrap, weighted correlations, permutation nulls, Holm."""

import numpy as np
import pytest
from scipy.stats import pearsonr, rankdata, spearmanr

from hear_probes.stats import (
    condensed_index,
    holm,
    pair_weights,
    percentile_interval,
    permutation_p_value,
    permuted_pair_index,
    signed_ev,
    sound_bootstrap_counts,
    sound_permutations,
    weighted_midranks,
    weighted_pearson,
    weighted_spearman,
)


def _expand(x, w):
    """The resampled data set a weight row stands for (each pair repeated w times)."""
    return np.repeat(x, w.astype(int))


def test_weighted_pearson_equals_pearson_of_the_expanded_resample():
    rng = np.random.default_rng(1)
    n = 9
    i, j = np.triu_indices(n, 1)
    x, y = rng.normal(size=i.size), rng.normal(size=i.size)
    counts = sound_bootstrap_counts(n, 20, seed=3)
    assert (counts.sum(axis=1) == n).all()
    w = pair_weights(counts, i, j)
    r = weighted_pearson(x, y, w)
    for b in range(20):
        xe, ye = _expand(x, w[b]), _expand(y, w[b])
        expected = pearsonr(xe, ye)[0] if xe.size >= 3 and np.ptp(xe) > 0 else np.nan
        np.testing.assert_allclose(r[b], expected, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_weighted_spearman_equals_spearman_of_the_expanded_resample_with_ties():
    rng = np.random.default_rng(2)
    n = 8
    i, j = np.triu_indices(n, 1)
    x = rng.integers(0, 5, size=i.size).astype(float)  # many ties
    y = rng.normal(size=i.size)
    w = pair_weights(sound_bootstrap_counts(n, 15, seed=4), i, j)
    rho = weighted_spearman(x, y, w)
    for b in range(15):
        xe, ye = _expand(x, w[b]), _expand(y, w[b])
        np.testing.assert_allclose(rho[b], spearmanr(xe, ye)[0], rtol=1e-10, atol=1e-12)
    ranks = weighted_midranks(x, np.ones((1, x.size)))[0]
    np.testing.assert_allclose(ranks, rankdata(x))


def test_unit_weights_give_plain_pearson_and_nan_is_left_out():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=30), rng.normal(size=30)
    assert weighted_pearson(x, y)[0] == pytest.approx(pearsonr(x, y)[0])
    x2 = x.copy()
    x2[3] = np.nan
    keep = np.isfinite(x2)
    assert weighted_pearson(x2, y)[0] == pytest.approx(pearsonr(x[keep], y[keep])[0])
    assert np.isnan(weighted_pearson(np.ones(30), y)[0])  # constant side: no correlation


def test_signed_ev_keeps_the_sign():
    assert signed_ev(-0.5) == pytest.approx(-0.25)
    assert signed_ev(0.5) == pytest.approx(0.25)
    np.testing.assert_array_equal(signed_ev(np.array([np.nan])), [np.nan])


def test_permuted_pair_index_relabels_sounds():
    n = 6
    i, j = np.triu_indices(n, 1)
    assert (condensed_index(i, j, n) == np.arange(i.size)).all()
    assert (condensed_index(j, i, n) == np.arange(i.size)).all()
    perms = sound_permutations(n, 4, seed=0)
    idx = permuted_pair_index(perms, i, j)
    full = np.arange(n * n).reshape(n, n)
    sym = np.minimum(full, full.T)
    values = sym[i, j]
    for b in range(4):
        p = perms[b]
        np.testing.assert_array_equal(values[idx[b]], sym[p[i], p[j]])


def test_mantel_p_value_is_small_for_a_real_relation_and_uniformish_under_the_null():
    rng = np.random.default_rng(5)
    n = 12
    i, j = np.triu_indices(n, 1)
    pos = rng.normal(size=(n, 2))
    d = np.linalg.norm(pos[i] - pos[j], axis=1)
    ratings = d + 0.1 * rng.normal(size=d.size)
    perms = sound_permutations(n, 999, seed=1)
    null = weighted_pearson(d, ratings[permuted_pair_index(perms, i, j)], np.ones((999, d.size)))
    obs = weighted_pearson(d, ratings)[0]
    assert permutation_p_value(obs, null) == pytest.approx(1 / 1000)
    unrelated = rng.normal(size=d.size)
    null_u = weighted_pearson(d, unrelated[permuted_pair_index(perms, i, j)],
                              np.ones((999, d.size)))
    assert permutation_p_value(weighted_pearson(d, unrelated)[0], null_u) > 0.01


def test_percentile_interval_and_holm():
    lo, hi = percentile_interval(np.arange(101.0))
    assert (float(lo), float(hi)) == pytest.approx((2.5, 97.5))
    lo, hi = percentile_interval(np.array([[np.nan, np.nan], [1.0, 3.0]]))
    assert np.isnan(lo[0]) and hi[1] == pytest.approx(2.95)
    adj = holm(np.array([0.01, 0.04, 0.03, np.nan]))
    np.testing.assert_allclose(adj[:3], [0.03, 0.06, 0.06])
    assert np.isnan(adj[3])


def test_the_package_re_exports_resampling_whole():
    """``hear_probes.stats`` lists its names once, in ``resampling.__all__``."""
    import hear_probes.stats as stats
    from hear_probes.stats import resampling

    assert stats.__all__ == resampling.__all__
    assert all(getattr(stats, name) is getattr(resampling, name) for name in resampling.__all__)
