"""Nearest-neighbour parameter regression (GEAR, Sec. 4.2, Eqs. 2-3)."""

from __future__ import annotations

import numpy as np

__all__ = ["neighbour_indices", "knn_estimate", "log_ratios", "log_ratio_summary"]


def neighbour_indices(distances: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` nearest neighbours of every point, the point itself excluded.

    Parameters
    ----------
    distances : ndarray
        ``[n, n]`` distance matrix.
    k : int
        Number of neighbours.

    Returns
    -------
    ndarray
        int ``[n, k]``, sorted by increasing distance (ties broken by index).
    """
    n = distances.shape[0]
    k = min(k, n - 1)
    d = distances.copy()
    np.fill_diagonal(d, np.inf)
    part = np.argpartition(d, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(d, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def knn_estimate(values: np.ndarray, neighbours: np.ndarray, scale: str = "linear") -> np.ndarray:
    """Unweighted neighbour mean of a factor (Eq. 2), on the factor's analysis scale.

    Parameters
    ----------
    values : ndarray
        Factor values ``[n]`` (natural units).
    neighbours : ndarray
        ``[n, K]`` neighbour indices.
    scale : {"linear", "log"}
        "linear": arithmetic mean (the paper); "log": geometric mean.

    Returns
    -------
    ndarray
        Estimates ``[n]`` in natural units.
    """
    v = np.asarray(values, dtype=np.float64)
    if scale == "log":
        return np.exp(np.mean(np.log(v)[neighbours], axis=1))
    return np.mean(v[neighbours], axis=1)


def log_ratios(values: np.ndarray, estimates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(estimate / value)`` (Eq. 3, natural log) where it is defined.

    Returns
    -------
    ratios : ndarray
        Log ratios for the points with ``value > 0`` and ``estimate > 0``.
    defined : ndarray
        Boolean mask ``[n]`` of those points; the others (zero-valued factors, for which the
        ratio is undefined) are excluded.
    """
    v = np.asarray(values, dtype=np.float64)
    e = np.asarray(estimates, dtype=np.float64)
    defined = (v > 0) & (e > 0)
    return np.log(e[defined]) - np.log(v[defined]), defined


def log_ratio_summary(values: np.ndarray, estimates: np.ndarray) -> dict:
    """Summary of the log-ratio distribution of one factor.

    Returns
    -------
    dict
        ``median``, ``q25``, ``q75``, ``iqr``, ``mean_abs``, ``median_abs`` (median of the
        absolute log ratios; natural log units), ``n`` (points
        used), ``n_excluded_nonpositive`` (points whose factor or estimate is <= 0: no log ratio),
        ``n_excluded_zero`` (of which factor == 0).
    """
    ratios, defined = log_ratios(values, estimates)
    n_zero = int(np.sum(np.asarray(values) == 0))
    if ratios.size == 0:
        q25 = med = q75 = mean_abs = median_abs = float("nan")
    else:
        q25, med, q75 = (float(q) for q in np.percentile(ratios, [25, 50, 75]))
        mean_abs = float(np.mean(np.abs(ratios)))
        median_abs = float(np.median(np.abs(ratios)))
    return {
        "median": med,
        "q25": q25,
        "q75": q75,
        "iqr": q75 - q25,
        "mean_abs": mean_abs,
        "median_abs": median_abs,
        "n": int(ratios.size),
        "n_excluded_nonpositive": int(np.sum(~defined)),
        "n_excluded_zero": n_zero,
    }
