"""A regularised learned metric whose strength is chosen by nested leave-one-sound-out.

Why: the learned metric of the paper has one weight per dimension (500-10,000) for 55-276
rated pairs, so its in-sample explained variance measures capacity, and its plain held-out
score mostly measures over-fitting. This metric asks instead how much a *shrunk* learned
re-weighting adds to the representation's own distance, with the amount of shrinkage chosen
without ever looking at the held-out sound.

Model (squared distances of the pairs ``p = (i, j)``)::

    d_p = c_0 + c_1 e_p + sum_k Dt_pk v_k,   e_p = ||x_i - x_j||^2,   Dt = standardised D

``D`` holds the squared per-dimension differences (as in the learned metric: ``u = w**-2``
re-weights them), ``Dt`` its columns centred and scaled to unit variance over the study's
pairs (features only, never ratings), ``c_0, c_1`` are free and ``v`` is penalised by
``alpha ||v||^2`` (ridge). ``alpha -> infinity`` gives the unlearned squared Euclidean distance
(calibrated to the rating scale); ``alpha -> 0`` the unregularised least-squares re-weighting.
The penalty is set relative to the scale of the kernel, ``alpha = gamma * mean(eig(K))``, over
:data:`GAMMAS` (``inf`` included).

Choice, and what it gives up: the paper's weights are non-negative (``u = w**-2 >= 0``, a
true weighted Euclidean metric). Here ``v`` is not constrained: shrinkage toward the
Euclidean distance replaces the constraint, and the problem then has a closed form in the
pairs' space (kernel ridge with two unpenalised terms), so every fold and every ``gamma``
costs one eigendecomposition of an at most 276 x 276 matrix whatever the embedding size. A
non-negative ridge needs an iterative solver per fold and per strength (an earlier
non-negative version, solved with scipy's NNLS, took 475 s for the 17 studies at 513
dimensions), which made the nested selection impractical as a default.

Nested leave-one-sound-out: for each held-out sound ``k`` (outer fold), every ``gamma`` is
scored by an inner leave-one-sound-out over the remaining sounds (pooled inner predictions,
Pearson correlation with the inner ratings); the best ``gamma`` is refitted on all pairs
without ``k`` and predicts the pairs of ``k``. Each pair is predicted by its two outer folds;
their mean, correlated with the ratings and squared, is the held-out explained variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from hear_probes.probes.timbre.metric import (
    pair_differences,
    pair_indices,
    pearson,
    single_threaded_blas,
)

#: Relative ridge strengths tried by the inner loop (``inf``: unlearned Euclidean distance).
GAMMAS: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, float("inf"))

METHOD = (
    "kernel ridge on standardised squared per-dimension differences with the squared "
    "Euclidean distance and an intercept unpenalised; strength gamma (relative to the mean "
    "kernel eigenvalue) chosen per outer fold by inner leave-one-sound-out; outer "
    "leave-one-sound-out, mean of the two out-of-fold predictions per pair"
)


@dataclass
class RegularisedResult:
    """Nested-LOSO outcome of the regularised metric for one study.

    Attributes
    ----------
    explained_variance : float
        Held-out explained variance (squared Pearson of pooled outer predictions).
    pearson : float
        Signed Pearson correlation behind it.
    chosen_gamma : np.ndarray
        ``[n_sounds]`` strength chosen by each outer fold (``inf`` = unlearned Euclidean).
    predicted : np.ndarray
        ``[n_pairs]`` pooled held-out predictions (NaN for unrated pairs).
    """

    explained_variance: float
    pearson: float
    chosen_gamma: np.ndarray
    predicted: np.ndarray

    def to_dict(self) -> dict:
        """JSON-ready summary (``inf`` written as null)."""
        g = [None if not np.isfinite(x) else float(x) for x in self.chosen_gamma]
        return {"explained_variance": _finite(self.explained_variance), "pearson": _finite(self.pearson),
                "chosen_gamma": g}


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _design(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kernel ``K = Dt Dt^T`` [n_pairs, n_pairs] and fixed effects ``F = [1, e]`` [n_pairs, 2]."""
    D = pair_differences(features)
    e = D.sum(axis=1)
    sd = D.std(axis=0)
    keep = sd > 0
    Dt = (D[:, keep] - D[:, keep].mean(axis=0)) / sd[keep]
    K = Dt @ Dt.T
    F = np.column_stack([np.ones_like(e), e / (e.std() or 1.0)])
    return K, F


def fit_predict(K: np.ndarray, F: np.ndarray, s: np.ndarray, train: np.ndarray,
                test: np.ndarray, gammas: tuple[float, ...] = GAMMAS) -> np.ndarray:
    """Fit on the ``train`` pairs and predict the ``test`` pairs, for every strength.

    Parameters
    ----------
    K, F : np.ndarray
        From :func:`_design`.
    s : np.ndarray
        ``[n_pairs]`` ratings.
    train, test : np.ndarray of bool
        Pair masks.
    gammas : tuple of float

    Returns
    -------
    np.ndarray
        ``[len(gammas), test.sum()]`` predictions.
    """
    tr, te = np.flatnonzero(train), np.flatnonzero(test)
    zt, Ft, Fh = s[tr], F[tr], F[te]
    lam, Q = scipy.linalg.eigh(K[np.ix_(tr, tr)], check_finite=False)
    lam = np.maximum(lam, 0.0)
    scale = lam.mean() if lam.mean() > 0 else 1.0
    Qz, QF = Q.T @ zt, Q.T @ Ft
    KhQ = K[np.ix_(te, tr)] @ Q
    out = np.empty((len(gammas), te.size))
    for g_i, g in enumerate(gammas):
        if not np.isfinite(g):  # no re-weighting: least-squares line on e
            c, *_ = np.linalg.lstsq(Ft, zt, rcond=None)
            out[g_i] = Fh @ c
            continue
        inv = 1.0 / (lam + g * scale)
        c, *_ = np.linalg.lstsq(QF.T @ (inv[:, None] * QF), QF.T @ (inv * Qz), rcond=None)
        out[g_i] = KhQ @ (inv * (Qz - QF @ c)) + Fh @ c
    return out


def _inner_loso(K: np.ndarray, F: np.ndarray, z: np.ndarray, groups: list[np.ndarray],
                gammas: tuple[float, ...]) -> np.ndarray:
    """Pooled leave-one-sound-out predictions ``[n_gamma, n]`` of one training set, exactly.

    For a penalised least-squares fit with a fixed quadratic penalty the prediction of a
    left-out group ``G`` has a closed form from the full fit's hat matrix ``H``:
    ``y_G - [(I - H)_GG]^-1 (y - H y)_G``, so every inner fold costs a solve of at most
    ``n_sounds - 2`` equations instead of a refit. (The strength ``alpha`` is set from this
    training set's kernel and kept across its inner folds.)
    """
    n = z.size
    lam, Q = scipy.linalg.eigh(K, check_finite=False)
    lam = np.maximum(lam, 0.0)
    scale = lam.mean() if lam.mean() > 0 else 1.0
    acc = np.zeros((len(gammas), n))
    cnt = np.zeros(n)
    for g in groups:
        cnt[g] += 1
    Qz, QF = Q.T @ z, Q.T @ F
    pinvF = np.linalg.pinv(F)
    for g_i, gam in enumerate(gammas):
        if np.isfinite(gam):
            # I - H = a (M - M F B), M = Q diag(inv) Q^T, B = (F^T M F)^-1 F^T M; only the
            # diagonal blocks of the groups are formed (never the n x n matrix)
            a = gam * scale
            inv = 1.0 / (lam + a)
            QFi = inv[:, None] * QF
            C = np.linalg.pinv(QF.T @ QFi)  # (F^T M F)^-1, 2 x 2
            e = a * (Q @ (inv * Qz - QFi @ (C @ (QFi.T @ Qz))))
            for g in groups:
                Qg = Q[g]
                MgF = Qg @ QFi
                Rgg = a * ((Qg * inv) @ Qg.T - MgF @ C @ MgF.T)
                acc[g_i, g] += z[g] - np.linalg.solve(Rgg, e[g])
        else:
            e = z - F @ (pinvF @ z)
            for g in groups:
                Rgg = np.eye(g.size) - F[g] @ pinvF[:, g]
                acc[g_i, g] += z[g] - np.linalg.solve(Rgg, e[g])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, acc / cnt, np.nan)


def nested_loso(features: np.ndarray, ratings: np.ndarray,
                gammas: tuple[float, ...] = GAMMAS) -> RegularisedResult:
    """Held-out explained variance of the regularised metric (see module docstring).

    Parameters
    ----------
    features : np.ndarray
        ``[n_sounds, dim]`` embeddings of one study.
    ratings : np.ndarray
        ``[n_pairs]`` ratings of the pairs ``i < j`` (NaN = missing).
    gammas : tuple of float
        Relative strengths to choose from.

    Returns
    -------
    RegularisedResult
    """
    with single_threaded_blas():  # small matrices: threads cost more than they give
        return _nested_loso(features, ratings, gammas)


def _nested_loso(features, ratings, gammas) -> RegularisedResult:
    x = np.asarray(features, dtype=np.float64)
    s = np.asarray(ratings, dtype=np.float64)
    n = x.shape[0]
    i, j = pair_indices(n)
    rated = np.isfinite(s)
    s0 = np.where(rated, s, 0.0)
    K, F = _design(x)
    acc = np.zeros(s.size)
    cnt = np.zeros(s.size)
    chosen = np.full(n, np.nan)
    for k in range(n):
        held = (i == k) | (j == k)
        outer_train, outer_test = rated & ~held, rated & held
        if outer_train.sum() < 6 or not outer_test.any():
            continue
        tr = np.flatnonzero(outer_train)
        groups = [g for g in (np.flatnonzero((i[tr] == m) | (j[tr] == m)) for m in range(n) if m != k)
                  if g.size]
        inner = _inner_loso(K[np.ix_(tr, tr)], F[tr], s0[tr], groups, gammas)
        scores = np.array([pearson(inner[g], s0[tr]) for g in range(len(gammas))])
        best = int(np.nanargmax(scores)) if np.isfinite(scores).any() else len(gammas) - 1
        chosen[k] = gammas[best]
        acc[outer_test] += fit_predict(K, F, s0, outer_train, outer_test, (gammas[best],))[0]
        cnt[outer_test] += 1
    pooled = np.where(cnt > 0, acc / np.maximum(cnt, 1), np.nan)
    r = pearson(pooled, s)
    return RegularisedResult(float(r) ** 2 if np.isfinite(r) else float("nan"), float(r), chosen, pooled)
