"""Paired tests of two models scored on the same units (sounds, studies, trials, seeds).

Nothing here knows a probe; :mod:`hear_probes.compare` applies these functions to result
folders.

- :func:`bootstrap_p_value`: two-sided p-value of a paired bootstrap (the replicates are
  differences of two models' scores on the *same* resample);
- :func:`wilcoxon_signed_rank`: signed-rank test of per-unit differences (zeros dropped);
- :func:`median_interval`: distribution-free interval of the median difference over units;
- :func:`hodges_lehmann`: the shift estimate and interval that go with the signed-rank test;
- :func:`mcnemar_exact`: exact McNemar test of two classifiers on the same trials, with a
  bootstrap interval of the accuracy difference;
- :func:`paired_t`: mean difference over seeds with its Student-t interval and p-value.
"""

from __future__ import annotations

import numpy as np

from hear_probes.stats.resampling import percentile_interval

__all__ = [
    "bootstrap_p_value",
    "mcnemar_exact",
    "paired_t",
    "hodges_lehmann",
    "median_interval",
    "smallest_bootstrap_p",
    "wilcoxon_signed_rank",
]


def bootstrap_p_value(replicates: np.ndarray, null: float = 0.0) -> np.ndarray | float:
    """Two-sided bootstrap p-value of a difference against ``null``, along the last axis.

    ``p = min(1, 2 min(1 + #{d* <= null}, 1 + #{d* >= null}) / (1 + B))`` over the ``B``
    finite replicates ``d*``: twice the smaller tail, with the ``+1`` of a Monte-Carlo
    p-value so that ``p`` is never 0. It is the level at which the percentile interval
    of the difference just reaches ``null``: ``p < alpha`` exactly when ``null`` is outside
    the ``1 - alpha`` percentile interval (up to the ``+1``). Identical models (every
    replicate 0) give ``p = 1``.

    Parameters
    ----------
    replicates : np.ndarray
        ``[..., B]`` bootstrap replicates of the difference (NaN replicates are left out).
    null : float, default 0.0
        Value of the difference under the null hypothesis.

    Returns
    -------
    float or np.ndarray
        ``[...]`` p-values; NaN where no replicate is finite. The smallest attainable value
        is ``2 / (1 + B)`` (:func:`smallest_bootstrap_p`).
    """
    d = np.asarray(replicates, dtype=np.float64)
    valid = np.isfinite(d)
    n = valid.sum(axis=-1)
    low = ((d <= null) & valid).sum(axis=-1)
    high = ((d >= null) & valid).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.minimum(1.0, 2.0 * (1.0 + np.minimum(low, high)) / (1.0 + n))
    p = np.where(n > 0, p, np.nan)
    return float(p) if np.ndim(p) == 0 else p


def smallest_bootstrap_p(n_resamples: int) -> float:
    """Smallest p-value :func:`bootstrap_p_value` can return with ``n_resamples`` replicates."""
    return min(1.0, 2.0 / (1.0 + n_resamples))


def wilcoxon_signed_rank(differences: np.ndarray) -> tuple[float, float, int]:
    """Two-sided Wilcoxon signed-rank test that the differences are centred on 0.

    Zero differences are dropped (Wilcoxon's convention); the p-value is exact for up to
    50 non-zero differences (a permutation test when some tie), else from the normal
    approximation (scipy's ``method="auto"``). NaN differences are left out.

    Parameters
    ----------
    differences : np.ndarray
        ``[n_units]`` paired differences (one per independent unit).

    Returns
    -------
    (statistic, p, n_used) : tuple
        The smaller of the two signed-rank sums, the two-sided p-value and the number of
        non-zero differences used. With no non-zero difference: ``(0.0, 1.0, 0)``.
    """
    from scipy.stats import wilcoxon

    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    scale = np.max(np.abs(d)) if d.size else 0.0
    nonzero = d[np.abs(d) > 1e-12 * max(scale, 1e-300)] if scale > 0 else d[:0]
    if nonzero.size == 0:
        return 0.0, 1.0, 0
    res = wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided")
    return float(res.statistic), float(res.pvalue), int(nonzero.size)


def median_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Distribution-free interval of a median from order statistics (the sign test inverted).

    With ``n`` values, ``[x_(k), x_(n-k+1)]`` covers the population median with probability
    ``1 - 2 P(Binomial(n, 1/2) <= k - 1)``; ``k`` is the largest order giving at least
    ``level`` (the achieved coverage is returned: it exceeds ``level`` for small ``n``).

    Parameters
    ----------
    values : np.ndarray
        ``[n]`` values (NaN left out).
    level : float, default 0.95

    Returns
    -------
    (low, high, coverage) : tuple of float
        NaN when ``n`` is too small for any order-statistic interval to reach ``level``
        (``n < 6`` at 95 %).
    """
    from scipy.stats import binom

    x = np.sort(np.asarray(values, dtype=np.float64))
    x = x[np.isfinite(x)]
    n = x.size
    ks = np.arange(1, n // 2 + 1)
    coverage = 1.0 - 2.0 * binom.cdf(ks - 1, n, 0.5)
    ok = ks[coverage >= level]
    if ok.size == 0:
        return float("nan"), float("nan"), float("nan")
    k = int(ok.max())
    return float(x[k - 1]), float(x[n - k]), float(coverage[k - 1])


def _signed_rank_cdf(n: int) -> np.ndarray:
    """``P(T <= t)`` for ``t = 0 .. n(n+1)/2`` of the signed-rank statistic under the null."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for r in range(1, n + 1):  # subsets of {1..n}: add rank r or not (O(n^3), n <= ~100)
        counts[r:] = counts[r:] + counts[:-r].copy()
    return np.cumsum(counts) / counts.sum()


def hodges_lehmann(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Hodges-Lehmann shift (median of the Walsh averages) with the Wilcoxon-inverted interval.

    The estimate and interval that go with the signed-rank test: the ``level`` interval
    excludes 0 exactly when the exact two-sided signed-rank test rejects at ``1 - level``
    (up to the discreteness of the statistic), so a difference called significant by
    :func:`wilcoxon_signed_rank` never has an interval that covers 0.

    Parameters
    ----------
    values : np.ndarray
        ``[n]`` paired differences (NaN left out).
    level : float, default 0.95

    Returns
    -------
    (estimate, low, high) : tuple of float
        Interval NaN when ``n`` is too small to reach ``level`` (``n < 6`` at 95 %).
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    a, b = np.triu_indices(n)
    walsh = np.sort((x[a] + x[b]) / 2.0)
    estimate = float(np.median(walsh))
    cdf = _signed_rank_cdf(n)
    # k Walsh averages cut from each end: P(T <= k - 1) <= (1 - level) / 2
    k = int(np.searchsorted(cdf, (1.0 - level) / 2.0, side="right"))
    if k == 0:
        return estimate, float("nan"), float("nan")
    return estimate, float(walsh[k - 1]), float(walsh[walsh.size - k])


def mcnemar_exact(a_correct: np.ndarray, b_correct: np.ndarray, n_resamples: int = 1000,
                  level: float = 0.95, seed: int = 0) -> dict:
    """Exact McNemar test of two models scored on the same trials.

    Parameters
    ----------
    a_correct, b_correct : np.ndarray
        ``[n_trials]`` per-trial outcomes of each model on the *same* trials, both decided
        (booleans: correct or not; tied trials are left out by the caller).
    n_resamples : int, default 1000
        Bootstrap resamples of the trials for the interval of the accuracy difference.
    level : float, default 0.95
    seed : int, default 0

    Returns
    -------
    dict
        ``n`` (trials), ``a_only`` (A right, B wrong), ``b_only``, ``accuracy_a``,
        ``accuracy_b``, ``difference`` (B - A), ``difference_ci`` (percentile bootstrap over
        trials) and ``p`` (two-sided exact binomial test of ``b_only`` out of the
        discordant trials against 1/2; 1 without discordant trial).
    """
    from scipy.stats import binomtest

    a = np.asarray(a_correct, dtype=bool)
    b = np.asarray(b_correct, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"paired outcomes need the same trials, got {a.size} and {b.size}")
    n = int(a.size)
    a_only, b_only = int((a & ~b).sum()), int((b & ~a).sum())
    discordant = a_only + b_only
    p = float(binomtest(b_only, discordant, 0.5).pvalue) if discordant else 1.0
    if n == 0:
        nan = float("nan")
        return {"n": 0, "a_only": 0, "b_only": 0, "accuracy_a": nan, "accuracy_b": nan,
                "difference": nan, "difference_ci": [nan, nan], "p": nan}
    # resampling trials = multinomial over the three kinds of trial (A only, B only, same)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, [a_only / n, b_only / n, 1.0 - discordant / n],
                            size=n_resamples)
    lo, hi = percentile_interval((draws[:, 1] - draws[:, 0]) / n, level)
    return {"n": n, "a_only": a_only, "b_only": b_only, "accuracy_a": float(a.mean()),
            "accuracy_b": float(b.mean()), "difference": (b_only - a_only) / n,
            "difference_ci": [float(lo), float(hi)], "p": p}


def paired_t(differences: np.ndarray, level: float = 0.95) -> dict:
    """Mean of paired differences (e.g. over seeds), Student-t interval and two-sided p.

    Returns
    -------
    dict
        ``mean``, ``ci`` ``[low, high]``, ``p`` and ``n``; NaN interval and p with fewer
        than two finite differences; ``p = 1`` and a zero-width interval when every
        difference is the same 0.
    """
    from scipy.stats import t as student_t

    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    n = int(d.size)
    nan = float("nan")
    if n < 2:
        return {"mean": float(d.mean()) if n else nan, "ci": [nan, nan], "p": nan, "n": n}
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0:
        return {"mean": mean, "ci": [mean, mean], "p": 1.0 if mean == 0 else 0.0, "n": n}
    se = sd / np.sqrt(n)
    half = float(student_t.ppf(0.5 + level / 2, n - 1) * se)
    p = float(2 * student_t.sf(abs(mean) / se, n - 1))
    return {"mean": mean, "ci": [mean - half, mean + half], "p": p, "n": n}
