"""GEAR factor scores: how well each factor can be read out of an embedding (``docs/gear.md``).

Per factor:

* ``knn_r2_k{K}``: leave-one-out K-nearest-neighbour regression R2 (embedding space, Euclidean).
* ``isomap_linear_r2``: 5-fold cross-validated R2 of the best affine map from the 3 Isomap
  coordinates to the factor.
* ``sensitivity``: Spearman correlation between embedding distance and the factor difference over
  pairs that differ mainly in that factor (other factors within ``tau`` of their range).
* ``distance_effect``: how far apart, relative to typical pairs, the embedding puts two tones that
  differ a lot in that factor only (0: invariant, ~1: as far as typical pairs).

All scores are computed on the factors' analysis scale (``log`` factors are log-transformed).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from hear_probes.probes.gear.knn import neighbour_indices

__all__ = [
    "analysis_scale",
    "unit_normalise",
    "r2_score",
    "knn_r2",
    "knn_r2_null",
    "isomap_linear_r2",
    "sensitivity",
    "ideal_embedding",
]


def analysis_scale(values: np.ndarray, scale: str) -> np.ndarray:
    """Factor values on their analysis scale (``log`` or identity)."""
    v = np.asarray(values, dtype=np.float64)
    return np.log(v) if scale == "log" else v


def unit_normalise(values: np.ndarray) -> np.ndarray:
    """Affine map of ``values`` onto [0, 1] (constant arrays map to 0)."""
    v = np.asarray(values, dtype=np.float64)
    span = v.max() - v.min()
    return (v - v.min()) / span if span > 0 else np.zeros_like(v)


def r2_score(target: np.ndarray, prediction: np.ndarray) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (NaN for a constant target)."""
    ss_tot = float(np.sum((target - target.mean()) ** 2))
    if ss_tot == 0:
        return float("nan")
    return 1.0 - float(np.sum((target - prediction) ** 2)) / ss_tot


def knn_r2(values: np.ndarray, neighbours: np.ndarray, k: int) -> float:
    """R2 of the leave-one-out kNN mean (first ``k`` columns of ``neighbours``).

    Parameters
    ----------
    values : ndarray
        Factor on its analysis scale ``[n]``.
    neighbours : ndarray
        ``[n, >=k]`` neighbour indices sorted by distance, self excluded.
    k : int
        Number of neighbours.
    """
    pred = np.mean(values[neighbours[:, :k]], axis=1)
    return r2_score(values, pred)


def knn_r2_null(
    values: np.ndarray, neighbours: np.ndarray, k: int, observed: float,
    n_permutations: int = 199, seed: int = 0, chunk: int = 25,
) -> tuple[float, float]:
    """Permutation null of :func:`knn_r2`: factor values shuffled over the tones.

    Shuffling the values keeps the embedding's neighbour graph and the factor's distribution but
    breaks their link, so the null is what an embedding unrelated to the factor scores
    (about ``-1/k``).

    Parameters
    ----------
    values : ndarray
        Factor on its analysis scale ``[n]``.
    neighbours : ndarray
        ``[n, >=k]`` neighbour indices (self excluded).
    k : int
        Number of neighbours.
    observed : float
        The observed R2 (for the p-value).
    n_permutations : int
        Number of shuffles.
    seed : int
        Seed of the shuffles.
    chunk : int
        Shuffles evaluated together (memory: ``chunk * n * k`` floats).

    Returns
    -------
    (float, float)
        Mean null R2 (the chance level) and the one-sided permutation p-value
        ``(1 + #{null >= observed}) / (1 + n_permutations)``.
    """
    v = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    nb = neighbours[:, :k]
    ss_tot = float(np.sum((v - v.mean()) ** 2))
    if ss_tot == 0:
        return float("nan"), float("nan")
    null = np.empty(n_permutations)
    for start in range(0, n_permutations, chunk):  # chunks of shuffles, each vectorised
        m = min(chunk, n_permutations - start)
        perm = rng.permuted(np.broadcast_to(v, (m, v.size)), axis=1)  # [m, n]
        pred = perm[:, nb].mean(axis=2)  # [m, n]
        null[start:start + m] = 1.0 - np.sum((perm - pred) ** 2, axis=1) / ss_tot
    p = (1.0 + np.sum(null >= observed)) / (1.0 + n_permutations)
    return float(null.mean()), float(p)


def isomap_linear_r2(
    coords: np.ndarray, values: np.ndarray, n_folds: int = 5, seed: int = 0
) -> float:
    """Cross-validated R2 of the least-squares affine map ``coords -> values``.

    Parameters
    ----------
    coords : ndarray
        ``[n, c]`` Isomap coordinates.
    values : ndarray
        Factor on its analysis scale ``[n]``.
    n_folds : int
        Folds of the seeded random partition; the out-of-fold predictions give one R2.
    seed : int
        Seed of the partition.
    """
    n = coords.shape[0]
    design = np.hstack([coords, np.ones((n, 1))])
    folds = np.random.default_rng(seed).permutation(n) % n_folds
    pred = np.empty(n)
    for f in range(n_folds):  # a handful of folds, each fully vectorised
        test = folds == f
        coef, *_ = np.linalg.lstsq(design[~test], values[~test], rcond=None)
        pred[test] = design[test] @ coef
    return r2_score(values, pred)


def _pairs(n: int, max_candidates: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """All pairs i < j, or ``max_candidates`` random distinct pairs when there are more."""
    if n * (n - 1) // 2 <= max_candidates:
        return np.triu_indices(n, k=1)
    i = rng.integers(0, n, size=max_candidates)
    j = rng.integers(0, n - 1, size=max_candidates)
    j = j + (j >= i)
    return i, j


def sensitivity(
    distances: np.ndarray,
    factors: dict[str, np.ndarray],
    tau: float = 0.05,
    max_pairs: int = 200_000,
    max_candidates: int = 5_000_000,
    far: float = 0.5,
    seed: int = 0,
) -> dict[str, dict]:
    """Sensitivity of embedding distance to each factor, the others held (nearly) fixed.

    Each factor is mapped onto [0, 1] (:func:`unit_normalise`, on its analysis scale). For factor
    k, the pairs (i, j) with ``max_{l != k} |u_l(i) - u_l(j)| <= tau`` "differ mainly in k"; the
    score is Spearman's rho between ``distances[i, j]`` and ``|u_k(i) - u_k(j)|`` over those pairs
    (at most ``max_pairs``, seeded subsample).

    Parameters
    ----------
    distances : ndarray
        ``[n, n]`` embedding distances.
    factors : dict of str to ndarray
        Factor name -> values on the analysis scale ``[n]``.
    tau : float
        Tolerance on the other factors, as a fraction of their range.
    max_pairs : int
        Maximum number of pairs per factor entering the correlation.
    max_candidates : int
        Maximum number of candidate pairs examined (all pairs when n(n-1)/2 is below it).
    far : float
        Minimum ``|du_k|`` of the "large change" pairs of the distance effect.
    seed : int
        Seed for pair sampling.

    Returns
    -------
    dict
        Factor -> ``{"rho", "n_pairs", "effect", "n_far_pairs"}``. ``rho`` is NaN with fewer than
        10 pairs. ``effect`` = (median d over the k-dominant pairs with ``|du_k| >= far`` - median
        d over pairs with every ``|du_l| <= tau``) / (median d over all candidate pairs); NaN with
        fewer than 10 pairs in a group.
    """
    rng = np.random.default_rng(seed)
    names = list(factors)
    n = distances.shape[0]
    i, j = _pairs(n, max_candidates, rng)
    units = np.stack([unit_normalise(factors[k]) for k in names])
    delta = np.abs(units[:, i] - units[:, j])  # [n_factors, n_pairs]
    d_all = distances[i, j]
    near = np.all(delta <= tau, axis=0)
    base = np.median(d_all[near]) if near.sum() >= 10 else np.nan
    typical = np.median(d_all)
    out = {}
    for k, name in enumerate(names):  # loop over the (three) factors only
        others = np.delete(delta, k, axis=0)
        ok = np.all(others <= tau, axis=0) if len(others) else np.ones(delta.shape[1], bool)
        far_sel = ok & (delta[k] >= far)
        effect = (np.median(d_all[far_sel]) - base) / typical if far_sel.sum() >= 10 else np.nan
        res = {"effect": float(effect) if typical > 0 else float("nan"),
               "n_far_pairs": int(far_sel.sum()), "n_baseline_pairs": int(near.sum())}
        sel = np.flatnonzero(ok)
        if sel.size > max_pairs:
            sel = np.sort(rng.choice(sel, size=max_pairs, replace=False))
        rho = spearmanr(d_all[sel], delta[k, sel]).statistic if sel.size >= 10 else np.nan
        out[name] = {"rho": float(rho), "n_pairs": int(sel.size), **res}
    return out


def ideal_embedding(factors: dict[str, np.ndarray], scales: dict[str, str]) -> np.ndarray:
    """Reference "ideal" embedding: the factors on their analysis scale, each mapped to [0, 1].

    Used to calibrate the scores (their ceiling) in tests and documentation.
    """
    return np.stack(
        [unit_normalise(analysis_scale(v, scales.get(k, "linear"))) for k, v in factors.items()],
        axis=1,
    )


def knn_neighbours_for_scores(distances: np.ndarray, ks: tuple[int, ...]) -> np.ndarray:
    """Neighbour indices for the largest K in ``ks`` (smaller K use the first columns)."""
    return neighbour_indices(distances, max(ks))
