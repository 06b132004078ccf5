"""Bootstrap over sounds, sound-label permutations and multiple-test corrections.

Why sounds, not pairs
---------------------
A dissimilarity study rates every pair of ``n`` sounds; the ``n (n - 1) / 2`` pairs are not
independent (each sound is in ``n - 1`` of them), so resampling pairs under-states the
uncertainty. The unit that was sampled is the sound. A bootstrap resample draws ``n`` sounds
with replacement (multinomial counts ``c``) and keeps every pair of two *distinct* original
sounds, each with multiplicity ``c_i c_j`` (a sound drawn twice contributes its pairs twice;
a sound paired with its own copy has no rating and is left out). Scores of a resample are the
weighted scores with those multiplicities as weights: no matrix is ever rebuilt.

The permutation null (Mantel test) shuffles the sound labels of one matrix: the rating of
pair ``{i, j}`` is compared with the distance of pair ``{pi(i), pi(j)}``. It keeps the
dependence between pairs that share a sound, which a shuffle of pairs would destroy.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "condensed_index",
    "holm",
    "pair_weights",
    "percentile_interval",
    "permutation_p_value",
    "permuted_pair_index",
    "signed_ev",
    "sound_bootstrap_counts",
    "sound_permutations",
    "weighted_midranks",
    "weighted_pearson",
    "weighted_spearman",
]


def sound_bootstrap_counts(n_sounds: int, n_resamples: int, seed: int = 0) -> np.ndarray:
    """How many times each sound is drawn in each bootstrap resample.

    Parameters
    ----------
    n_sounds : int
        Sounds of the study.
    n_resamples : int
        Bootstrap resamples.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    np.ndarray
        ``[n_resamples, n_sounds]`` integer counts; each row sums to ``n_sounds``.
    """
    if n_sounds < 2 or n_resamples < 1:
        raise ValueError(
            f"a sound bootstrap needs at least 2 sounds and 1 resample, got {n_sounds} sounds "
            f"and {n_resamples} resamples")
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_sounds, np.full(n_sounds, 1.0 / n_sounds), size=n_resamples)


def pair_weights(counts: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Multiplicity of each pair ``(i[p], j[p])`` in each resample: ``counts_i * counts_j``.

    Parameters
    ----------
    counts : np.ndarray
        ``[n_resamples, n_sounds]`` from :func:`sound_bootstrap_counts`.
    i, j : np.ndarray
        ``[n_pairs]`` sound indices of the pairs (``i != j``).

    Returns
    -------
    np.ndarray
        ``[n_resamples, n_pairs]`` float64 weights.
    """
    counts = np.asarray(counts, dtype=np.float64)
    return counts[:, i] * counts[:, j]


def _as_rows(x: np.ndarray, n_rows: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.broadcast_to(x, (n_rows, x.shape[-1])) if x.ndim == 1 else x


def weighted_pearson(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                     ) -> np.ndarray:
    """Weighted Pearson correlation, one per row of ``weights``.

    Parameters
    ----------
    x, y : np.ndarray
        ``[n_pairs]`` or ``[n_rows, n_pairs]`` values; non-finite entries are left out
        (their weight is set to 0).
    weights : np.ndarray, optional
        ``[n_rows, n_pairs]`` non-negative weights (default: one row of ones).

    Returns
    -------
    np.ndarray
        ``[n_rows]`` correlations; NaN where fewer than 3 pairs have weight or one side is
        constant over the weighted pairs.
    """
    if weights is None:
        n_pairs = np.shape(x)[-1]
        weights = np.ones((1, n_pairs))
    w = np.array(weights, dtype=np.float64, ndmin=2)
    n_rows = w.shape[0]
    xs, ys = _as_rows(x, n_rows), _as_rows(y, n_rows)
    ok = np.isfinite(xs) & np.isfinite(ys)
    w = np.where(ok, w, 0.0)
    xs, ys = np.where(ok, xs, 0.0), np.where(ok, ys, 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (w * xs).sum(axis=1) / total
        my = (w * ys).sum(axis=1) / total
        xc, yc = xs - mx[:, None], ys - my[:, None]
        sxy = (w * xc * yc).sum(axis=1)
        sxx = (w * xc * xc).sum(axis=1)
        syy = (w * yc * yc).sum(axis=1)
        r = sxy / np.sqrt(sxx * syy)
    # relative tolerance: a constant side gives rounding-noise variance, never a correlation
    scale_x = (w * xs * xs).sum(axis=1)
    scale_y = (w * ys * ys).sum(axis=1)
    eps = 1e-24
    degenerate = ((w > 0).sum(axis=1) < 3) | (sxx <= eps * np.maximum(scale_x, 1e-300)) | (
        syy <= eps * np.maximum(scale_y, 1e-300))
    return np.where(degenerate, np.nan, np.clip(r, -1.0, 1.0))


def weighted_midranks(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mid-ranks of ``x`` in each weighted resample (ties share their mean rank).

    A pair of weight ``w`` stands for ``w`` copies; its rank is the mean rank of those
    copies among all weighted copies, so the ranks are those of the resampled data set.

    Parameters
    ----------
    x : np.ndarray
        ``[n_pairs]`` values (non-finite entries get NaN ranks).
    weights : np.ndarray
        ``[n_rows, n_pairs]`` non-negative weights.

    Returns
    -------
    np.ndarray
        ``[n_rows, n_pairs]`` ranks (1-based).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.array(weights, dtype=np.float64, ndmin=2)
    finite = np.isfinite(x)
    order = np.argsort(np.where(finite, x, np.inf), kind="stable")
    xs = x[order]
    # tie groups among the sorted values (non-finite ones form their own, ranked last)
    new_group = np.r_[True, xs[1:] != xs[:-1]]
    starts = np.flatnonzero(new_group)
    group = np.cumsum(new_group) - 1
    ws = np.where(finite[order], w[:, order], 0.0)
    group_w = np.add.reduceat(ws, starts, axis=1)
    before = np.cumsum(group_w, axis=1) - group_w
    group_rank = before + (group_w + 1.0) / 2.0
    ranks = np.empty_like(ws)
    ranks[:, order] = group_rank[:, group]
    ranks[:, ~finite] = np.nan
    return ranks


def weighted_spearman(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                      ) -> np.ndarray:
    """Weighted Spearman correlation (Pearson of weighted mid-ranks), one per row.

    Parameters and returns as :func:`weighted_pearson`; ``x`` and ``y`` are ``[n_pairs]``.
    """
    if weights is None:
        weights = np.ones((1, np.shape(x)[-1]))
    w = np.array(weights, dtype=np.float64, ndmin=2)
    ok = np.isfinite(np.asarray(x, dtype=np.float64)) & np.isfinite(
        np.asarray(y, dtype=np.float64))
    w = np.where(ok, w, 0.0)
    return weighted_pearson(weighted_midranks(x, w), weighted_midranks(y, w), w)


def signed_ev(r: np.ndarray | float) -> np.ndarray | float:
    """Signed explained variance ``sign(r) * r**2``: an anti-correlation is never skill.

    The square of a correlation loses its sign, so an embedding whose distances are
    *anti*-correlated with the ratings would score like a correlated one. hear-probes reports
    ``sign(r) r^2`` everywhere (negative for an anti-correlation; NaN stays NaN).
    """
    r_arr = np.asarray(r, dtype=np.float64)
    out = np.sign(r_arr) * r_arr * r_arr
    return float(out) if np.ndim(out) == 0 else out


def percentile_interval(samples: np.ndarray, level: float = 0.95, axis: int = -1,
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of bootstrap samples, ignoring NaN resamples.

    Parameters
    ----------
    samples : np.ndarray
        Bootstrap replicates along ``axis``.
    level : float, default 0.95
        Coverage.
    axis : int, default -1

    Returns
    -------
    (low, high) : tuple of np.ndarray
        NaN where every replicate is NaN.
    """
    if not 0 < level < 1:
        raise ValueError(f"interval level must be in (0, 1), got {level}")
    a = np.asarray(samples, dtype=np.float64)
    alpha = (1.0 - level) / 2.0
    all_nan = np.all(np.isnan(a), axis=axis)
    safe = np.where(np.expand_dims(all_nan, axis), 0.0, a)
    lo, hi = np.nanpercentile(safe, [100 * alpha, 100 * (1 - alpha)], axis=axis)
    return np.where(all_nan, np.nan, lo), np.where(all_nan, np.nan, hi)


def sound_permutations(n_sounds: int, n_permutations: int, seed: int = 0) -> np.ndarray:
    """``[n_permutations, n_sounds]`` random permutations of the sound labels."""
    if n_sounds < 3 or n_permutations < 1:
        raise ValueError(
            f"a permutation test needs at least 3 sounds and 1 permutation, got {n_sounds} "
            f"sounds and {n_permutations} permutations")
    rng = np.random.default_rng(seed)
    return rng.permuted(np.tile(np.arange(n_sounds), (n_permutations, 1)), axis=1)


def condensed_index(a: np.ndarray, b: np.ndarray, n_sounds: int) -> np.ndarray:
    """Position of pair ``{a, b}`` (``a != b``) in the row-major condensed upper triangle."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo * n_sounds - lo * (lo + 1) // 2 + (hi - lo - 1)


def permuted_pair_index(perms: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Condensed index of pair ``{pi(i), pi(j)}`` for each permutation ``pi``.

    ``values[permuted_pair_index(perms, i, j)]`` is ``values`` with its sound labels shuffled
    (``[n_permutations, n_pairs]``), the Mantel null of a condensed matrix.
    """
    perms = np.asarray(perms)
    return condensed_index(perms[:, i], perms[:, j], perms.shape[1])


def permutation_p_value(observed: np.ndarray | float, null: np.ndarray,
                        alternative: str = "greater") -> np.ndarray | float:
    """Permutation p-value ``(1 + #{null >= observed}) / (1 + n)`` along the last axis.

    Parameters
    ----------
    observed : float or np.ndarray
        Observed statistic(s), ``[...]``.
    null : np.ndarray
        ``[..., n_permutations]`` null replicates (NaN replicates are left out).
    alternative : {"greater", "two-sided"}
        ``"greater"`` asks whether the score is above chance; ``"two-sided"`` compares
        absolute values.

    Returns
    -------
    float or np.ndarray
        NaN where ``observed`` is NaN.
    """
    obs = np.asarray(observed, dtype=np.float64)
    nul = np.asarray(null, dtype=np.float64)
    if alternative == "two-sided":
        obs, nul = np.abs(obs), np.abs(nul)
    elif alternative != "greater":
        raise ValueError(f"alternative must be 'greater' or 'two-sided', not {alternative!r}")
    valid = np.isfinite(nul)
    exceed = ((nul >= obs[..., None] - 1e-12) & valid).sum(axis=-1)
    p = (1.0 + exceed) / (1.0 + valid.sum(axis=-1))
    p = np.where(np.isfinite(obs), p, np.nan)
    return float(p) if np.ndim(p) == 0 else p


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaN entries are kept NaN and not counted).

    Parameters
    ----------
    p_values : np.ndarray
        ``[m]`` raw p-values of one family of tests.

    Returns
    -------
    np.ndarray
        ``[m]`` adjusted p-values, monotone in the raw ones and capped at 1.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out
