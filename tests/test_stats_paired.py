"""hear_probes.stats.paired: bootstrap p-value, Wilcoxon, median/HL intervals, McNemar, paired t."""

import numpy as np
import pytest
from scipy.stats import binomtest, ttest_rel, wilcoxon

from hear_probes.stats.paired import (
    bootstrap_p_value,
    hodges_lehmann,
    mcnemar_exact,
    median_interval,
    paired_t,
    smallest_bootstrap_p,
    wilcoxon_signed_rank,
)


def test_bootstrap_p_value_of_identical_models_is_one_and_never_zero():
    assert bootstrap_p_value(np.zeros(1000)) == 1.0
    # every replicate above 0: the smallest p of 1000 replicates, 2 / 1001, never 0
    assert bootstrap_p_value(np.full(1000, 0.3)) == pytest.approx(2 / 1001)
    assert smallest_bootstrap_p(1000) == pytest.approx(2 / 1001)
    # 30 of 1000 at or below 0: two-sided p = 2 * 31 / 1001
    d = np.r_[np.full(30, -0.1), np.full(970, 0.2)]
    assert bootstrap_p_value(d) == pytest.approx(2 * 31 / 1001)
    assert np.isnan(bootstrap_p_value(np.full(5, np.nan)))
    # vectorised over leading axes, NaN replicates left out
    p = bootstrap_p_value(np.array([[0.0, 0.0, np.nan], [1.0, 1.0, 1.0]]))
    np.testing.assert_allclose(p, [1.0, 2 / 4])


def test_wilcoxon_matches_scipy_and_all_zero_differences_give_p_one():
    rng = np.random.default_rng(0)
    d = rng.normal(0.2, 1.0, size=11)
    stat, p, n = wilcoxon_signed_rank(d)
    ref = wilcoxon(d)
    assert (stat, n) == (pytest.approx(ref.statistic), 11)
    assert p == pytest.approx(ref.pvalue)
    assert wilcoxon_signed_rank(np.zeros(11)) == (0.0, 1.0, 0)
    # zeros dropped (Wilcoxon's convention), NaN left out
    stat2, p2, n2 = wilcoxon_signed_rank(np.r_[d, 0.0, np.nan])
    assert (stat2, p2, n2) == (stat, p, 11)
    # 11 positive differences: the exact two-sided p is 2 / 2^11
    assert wilcoxon_signed_rank(np.arange(1, 12) / 10)[1] == pytest.approx(2 / 2048)


def test_median_interval_is_the_order_statistic_interval_with_its_coverage():
    x = np.arange(11, dtype=float)  # n = 11: [x_(2), x_(10)], coverage 1 - 2 * 12/2048
    lo, hi, cov = median_interval(x[::-1])
    assert (lo, hi) == (1.0, 9.0)
    assert cov == pytest.approx(1 - 2 * 12 / 2048)
    assert np.isnan(median_interval(np.arange(5.0))[0])  # too few values for 95 %


def test_hodges_lehmann_interval_agrees_with_the_signed_rank_test():
    rng = np.random.default_rng(1)
    for _ in range(300):
        n = int(rng.integers(6, 25))
        x = rng.normal(rng.uniform(0, 1.2), 1.0, size=n)
        est, lo, hi = hodges_lehmann(x)
        p = wilcoxon_signed_rank(x)[1]
        assert lo <= est <= hi
        assert (lo > 0 or hi < 0) == (p < 0.05)


def test_mcnemar_counts_discordant_trials_and_uses_the_exact_binomial():
    a = np.array([1] * 40 + [0] * 10 + [1] * 30 + [0] * 20, dtype=bool)
    b = np.array([1] * 40 + [1] * 10 + [0] * 2 + [1] * 28 + [0] * 20, dtype=bool)
    res = mcnemar_exact(a, b)
    assert (res["a_only"], res["b_only"], res["n"]) == (2, 10, 100)
    assert res["p"] == pytest.approx(binomtest(10, 12, 0.5).pvalue)
    assert res["difference"] == pytest.approx(0.08)
    lo, hi = res["difference_ci"]
    assert lo < 0.08 < hi
    same = mcnemar_exact(a, a)
    assert same["p"] == 1.0 and same["difference"] == 0 and same["difference_ci"] == [0, 0]


def test_paired_t_matches_scipy():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=5), rng.normal(0.5, 1, size=5)
    res = paired_t(y - x)
    assert res["p"] == pytest.approx(ttest_rel(y, x).pvalue)
    assert res["ci"][0] < res["mean"] < res["ci"][1]
    assert paired_t(np.zeros(5))["p"] == 1.0
    assert np.isnan(paired_t([0.1])["p"])
