"""Weighted correlations of one variable with several others over many resamples at once.

:func:`hear_probes.stats.resampling.weighted_pearson` builds several ``[B, n_pairs]``
temporaries per call. When one variable (the ratings) is correlated with ``k`` others (the
predictions of several models and distances) under the same ``[B, n_pairs]`` weights, the
weighted sums are one matrix product ``W @ [1, x, x^2, y_1 .. y_k, y^2, x y]``, several
times faster, with the same values (``tests/test_stats_paired.py`` checks it). For Spearman,
the weighted mid-ranks of ``x`` are computed once for all ``k`` rows.
"""

from __future__ import annotations

import numpy as np

from hear_probes.stats.resampling import weighted_midranks

__all__ = ["pearson_columns", "spearman_columns"]


def _standardise(v: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Centre and scale the finite entries (against cancellation in the one-pass sums)."""
    out = np.where(ok, v, 0.0)
    if ok.any():
        mean, sd = out[ok].mean(), out[ok].std()
        out = np.where(ok, (out - mean) / (sd if sd > 0 else 1.0), 0.0)
    return out


def pearson_columns(x: np.ndarray, ys: np.ndarray, weights: np.ndarray | None = None,
                    ) -> np.ndarray:
    """Weighted Pearson correlation of ``x`` with each row of ``ys``, per weight row.

    Parameters
    ----------
    x : np.ndarray
        ``[n_pairs]`` values (non-finite entries are left out).
    ys : np.ndarray
        ``[k, n_pairs]`` values (non-finite entries are left out, row by row).
    weights : np.ndarray, optional
        ``[B, n_pairs]`` non-negative weights (default: one row of ones).

    Returns
    -------
    np.ndarray
        ``[k, B]`` correlations; NaN where fewer than 3 pairs have weight or one side is
        constant, as :func:`~hear_probes.stats.resampling.weighted_pearson`.
    """
    x = np.asarray(x, dtype=np.float64)
    ys = np.array(ys, dtype=np.float64, ndmin=2)
    w = np.ones((1, x.size)) if weights is None else np.array(weights, dtype=np.float64, ndmin=2)
    ok = np.isfinite(x) & np.isfinite(ys)
    if (ok == ok[0]).all():  # one mask for every row: one matrix product for all of them
        return _pearson_same_mask(x, ys, w, ok[0])
    return np.concatenate([_pearson_same_mask(x, y[None], w, m) for y, m in zip(ys, ok, strict=True)])


def _pearson_same_mask(x: np.ndarray, ys: np.ndarray, w: np.ndarray, ok: np.ndarray) -> np.ndarray:
    k = ys.shape[0]
    xs = _standardise(x, ok)
    yk = np.stack([_standardise(y, ok) for y in ys])
    wk = w if ok.all() else w * ok
    cols = np.concatenate([np.ones((1, x.size)), xs[None], (xs * xs)[None], yk, yk * yk,
                           xs[None] * yk])
    sums = wk @ cols.T  # [B, 3 + 3k]
    t, sx, sxx = sums[:, 0:1], sums[:, 1:2], sums[:, 2:3]
    sy, syy, sxy = sums[:, 3:3 + k], sums[:, 3 + k:3 + 2 * k], sums[:, 3 + 2 * k:]
    with np.errstate(invalid="ignore", divide="ignore"):
        vx = sxx - sx * sx / t
        vy = syy - sy * sy / t
        r = (sxy - sx * sy / t) / np.sqrt(vx * vy)
    eps = 1e-12
    degenerate = ((wk > 0).sum(axis=1) < 3)[:, None] | (vx <= eps * sxx) | (vy <= eps * syy)
    return np.where(degenerate, np.nan, np.clip(r, -1.0, 1.0)).T


def spearman_columns(x: np.ndarray, ys: np.ndarray, weights: np.ndarray | None = None,
                     ) -> np.ndarray:
    """Weighted Spearman correlation (of weighted mid-ranks) of ``x`` with each row of ``ys``.

    Parameters and returns as :func:`pearson_columns`. The ranks of ``x`` are computed once
    when every row of ``ys`` is finite where ``x`` is.
    """
    x = np.asarray(x, dtype=np.float64)
    ys = np.array(ys, dtype=np.float64, ndmin=2)
    w = np.ones((1, x.size)) if weights is None else np.array(weights, dtype=np.float64, ndmin=2)
    fx = np.isfinite(x)
    shared = None
    out = np.empty((ys.shape[0], w.shape[0]))
    for k, y in enumerate(ys):
        ok = fx & np.isfinite(y)
        wk = np.where(ok, w, 0.0)
        if ok.all() or np.array_equal(ok, fx):
            if shared is None:
                shared = weighted_midranks(x, wk)
            rx = shared
        else:
            rx = weighted_midranks(x, wk)
        ry = weighted_midranks(y, wk)
        out[k] = _row_pearson(rx, ry, wk)
    return out


def _row_pearson(rx: np.ndarray, ry: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted Pearson of two ``[B, n]`` arrays, row by row (NaN entries weigh 0).

    One-pass weighted sums: ranks are bounded by the total weight, so the cancellation of
    ``sum w x^2 - (sum w x)^2 / sum w`` costs a few digits of float64 at most.
    """
    ok = np.isfinite(rx) & np.isfinite(ry) & (w > 0)
    w = np.where(ok, w, 0.0)
    rx, ry = np.where(ok, rx, 0.0), np.where(ok, ry, 0.0)
    wx, wy = w * rx, w * ry
    t = w.sum(axis=1)
    sx, sy = wx.sum(axis=1), wy.sum(axis=1)
    sxx, syy, sxy = (wx * rx).sum(axis=1), (wy * ry).sum(axis=1), (wx * ry).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        vx = sxx - sx * sx / t
        vy = syy - sy * sy / t
        r = (sxy - sx * sy / t) / np.sqrt(vx * vy)
    eps = 1e-12
    degenerate = (ok.sum(axis=1) < 3) | (vx <= eps * sxx) | (vy <= eps * syy)
    return np.where(degenerate, np.nan, np.clip(r, -1.0, 1.0))
