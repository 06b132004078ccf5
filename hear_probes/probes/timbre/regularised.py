"""Ridge-reweighted distance: a signed ridge re-weighting of the squared per-dimension
differences, shrunk toward a fixed prior distance, strength chosen by nested
leave-one-sound-out. (Keys keep the historical ``regularised_`` prefix; this is *not* the
paper's metric with a penalty: its weights are signed and it is shrunk toward a prior.)

Why: the learned metric of the paper has one weight per dimension (500-10,000) for 55-276
rated pairs, so its in-sample explained variance measures capacity, and its plain held-out
score mostly measures over-fitting. This metric asks instead how much a *shrunk* learned
re-weighting adds to a fixed distance of the representation, with the amount of shrinkage
chosen without ever looking at the held-out sound.

Model (squared distances of the pairs ``p = (i, j)``)::

    d_p = c_0 + c_1 e_p + sum_k Dt_pk v_k,   Dt = standardised D

``e_p`` is the prior distance of the pair (:class:`RegularisedSpec`: the cosine distance
``1 - cos`` of the embeddings by default, the squared Euclidean distance, or none), ``D``
holds the squared per-dimension differences (as in the learned metric: ``u = w**-2``
re-weights them), ``Dt`` its columns centred and scaled to unit variance over the study's
pairs (features only, never ratings; ``standardise=False`` only centres them), ``c_0, c_1``
are free and ``v`` is penalised by ``alpha ||v||^2`` (ridge). ``alpha -> infinity`` gives the
prior distance calibrated to the rating scale; ``alpha -> 0`` the minimum-norm least-squares
re-weighting (the ridgeless limit: the predictions converge, so strengths below the grid's
smallest change nothing). The penalty is set relative to the scale of the kernel,
``alpha = gamma * mean(eig(K))``, over ``spec.gammas`` (``inf`` included). The choices of the
default were made on evidence (docs/timbre.md, "Ridge-reweighted distance";
``benchmarks/timbre_regularised_ablation.py``).

What it gives up: the paper's weights are non-negative (``u = w**-2 >= 0``, a true weighted
Euclidean metric). Here ``v`` is not constrained: shrinkage toward the prior replaces the
constraint, and the problem then has a closed form in the pairs' space (kernel ridge with
unpenalised fixed effects), so every fold and every ``gamma`` costs one eigendecomposition of
an at most 276 x 276 matrix whatever the embedding size. A non-negative ridge needs an
iterative solver per fold and per strength (an earlier non-negative version, solved with
scipy's NNLS, took 475 s for the 17 studies at 513 dimensions).

Nested leave-one-sound-out: for each held-out sound ``k`` (outer fold), every ``gamma`` is
scored by an inner leave-one-sound-out over the remaining sounds (pooled inner predictions,
Pearson correlation with the inner ratings); the best ``gamma`` is refitted on all pairs
without ``k`` and predicts the pairs of ``k``. Each pair is predicted by its two outer folds;
the signed EV ``sign(r) r**2`` of their mean against the ratings is the held-out score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from hear_probes.probes.timbre.metric import (
    explained_variance,
    pair_differences,
    pair_indices,
    pearson,
    single_threaded_blas,
)

#: Relative ridge strengths tried by the inner loop (``inf``: unlearned Euclidean distance).
GAMMAS: tuple[float, ...] = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4,
                             float("inf"))
#: The schema-2 grid (kept for the ablation and for comparisons).
NARROW_GAMMAS: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, float("inf"))

METHOD = (
    "ridge-reweighted distance: signed kernel ridge on the squared per-dimension differences "
    "(standardised or centred, settings.regularised_spec), with an intercept and the prior "
    "distance unpenalised; strength gamma (relative to the mean kernel eigenvalue) chosen per "
    "outer fold by inner leave-one-sound-out; outer leave-one-sound-out, mean of the two "
    "out-of-fold predictions per pair, signed EV"
)


@dataclass
class RegularisedResult:
    """Nested-LOSO outcome of the regularised metric for one study.

    Attributes
    ----------
    explained_variance : float
        Held-out signed explained variance ``sign(r) r**2`` of the pooled outer predictions.
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


#: Fixed (unpenalised) distance the re-weighting is shrunk toward.
PRIORS = ("euclidean", "cosine", "none")


@dataclass(frozen=True)
class RegularisedSpec:
    """Design choices of the regularised metric (compared in docs/timbre.md).

    Parameters
    ----------
    prior : {"cosine", "euclidean", "none"}
        Unpenalised distance term the re-weighting is shrunk toward: the cosine distance
        ``1 - cos`` of the embeddings (default), their squared Euclidean distance, or none
        (intercept only).
    standardise : bool
        Scale every squared-difference column to unit variance (each dimension gets the same
        prior weight whatever its loudness) or only centre it.
    gammas : tuple of float
        Relative strengths (``inf``: no re-weighting, the prior alone).
    """

    prior: str = "cosine"
    standardise: bool = True
    gammas: tuple[float, ...] = GAMMAS

    def __post_init__(self) -> None:
        if self.prior not in PRIORS:
            raise ValueError(f"regularised prior must be one of {PRIORS}, not {self.prior!r}")
        if not self.gammas or any(g <= 0 for g in self.gammas):
            raise ValueError("regularised strengths must be positive (inf allowed)")

    def to_dict(self) -> dict:
        """JSON form (``inf`` as null)."""
        return {"prior": self.prior, "standardise": self.standardise,
                "gammas": [None if not np.isfinite(g) else g for g in self.gammas]}


def _design(features: np.ndarray, prior: str = "euclidean", standardise: bool = True
            ) -> tuple[np.ndarray, np.ndarray]:
    """Kernel ``K = Dt Dt^T`` [n_pairs, n_pairs] and fixed effects ``F`` [n_pairs, 1 or 2].

    ``F = [1, prior distance]`` (scaled to unit standard deviation), or ``[1]`` without prior.
    """
    x = np.asarray(features, dtype=np.float64)
    D = pair_differences(x)
    sd = D.std(axis=0)
    keep = sd > 0
    Dt = D[:, keep] - D[:, keep].mean(axis=0)
    if standardise:
        Dt = Dt / sd[keep]
    K = Dt @ Dt.T
    ones = np.ones(D.shape[0])
    if prior == "none":
        return K, ones[:, None]
    if prior == "euclidean":
        e = D.sum(axis=1)
    elif prior == "cosine":
        from hear_probes.probes.timbre.agreement import raw_distances

        e = np.nan_to_num(raw_distances(x, "cosine"))
    else:
        raise ValueError(f"regularised prior must be one of {PRIORS}, not {prior!r}")
    return K, np.column_stack([ones, e / (e.std() or 1.0)])


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
                gammas: tuple[float, ...] | None = None, *,
                spec: RegularisedSpec | None = None) -> RegularisedResult:
    """Held-out explained variance of the regularised metric (see module docstring).

    Parameters
    ----------
    features : np.ndarray
        ``[n_sounds, dim]`` embeddings of one study.
    ratings : np.ndarray
        ``[n_pairs]`` ratings of the pairs ``i < j`` (NaN = missing).
    gammas : tuple of float, optional
        Relative strengths to choose from (overrides ``spec.gammas``).
    spec : RegularisedSpec, optional
        Prior distance, standardisation and strengths (default :class:`RegularisedSpec()`).

    Returns
    -------
    RegularisedResult
    """
    spec = spec or RegularisedSpec()
    if gammas is not None:
        spec = RegularisedSpec(spec.prior, spec.standardise, tuple(gammas))
    with single_threaded_blas():  # small matrices: threads cost more than they give
        return _nested_loso(features, ratings, spec)


def _nested_loso(features, ratings, spec: RegularisedSpec) -> RegularisedResult:
    gammas = spec.gammas
    x = np.asarray(features, dtype=np.float64)
    s = np.asarray(ratings, dtype=np.float64)
    n = x.shape[0]
    i, j = pair_indices(n)
    rated = np.isfinite(s)
    s0 = np.where(rated, s, 0.0)
    K, F = _design(x, spec.prior, spec.standardise)
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
    return RegularisedResult(explained_variance(r), float(r), chosen, pooled)


def _loso_operators(K: np.ndarray, F: np.ndarray, groups: list[np.ndarray],
                    gammas: tuple[float, ...]) -> np.ndarray:
    """Leave-one-sound-out prediction operators ``[n_gamma, n, n]`` for a fixed strength.

    For a penalised least-squares fit with a fixed quadratic penalty, the pooled held-out
    predictions are linear in the ratings: the prediction of group ``G`` is
    ``y_G - [(I - H)_GG]^-1 ((I - H) y)_G`` with ``I - H = a M (I - F B)``,
    ``M = (K + a I)^-1``, ``B = (F^T M F)^-1 F^T M`` (``I - F F^+`` for ``gamma = inf``).
    Each pair is in two groups (its two sounds); its row is the mean of the two.
    """
    n = K.shape[0]
    lam, Q = scipy.linalg.eigh(K, check_finite=False)
    lam = np.maximum(lam, 0.0)
    scale = lam.mean() if lam.mean() > 0 else 1.0
    cnt = np.zeros(n)
    for g in groups:
        cnt[g] += 1
    eye = np.eye(n)
    ops = np.zeros((len(gammas), n, n))
    for g_i, gam in enumerate(gammas):
        if np.isfinite(gam):
            a = gam * scale
            M = (Q / (lam + a)) @ Q.T
            MF = M @ F
            B = np.linalg.pinv(F.T @ MF) @ MF.T
            R = a * (M - MF @ B)
        else:
            R = eye - F @ np.linalg.pinv(F)
        for g in groups:
            ops[g_i, g] += eye[g] - np.linalg.solve(R[np.ix_(g, g)], R[g])
    with np.errstate(invalid="ignore", divide="ignore"):
        return ops / np.where(cnt > 0, cnt, np.nan)[None, :, None]


def held_out_scores(features: np.ndarray, ratings: np.ndarray, trained_on: np.ndarray,
                    spec: RegularisedSpec | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Held-out Pearson correlation with ``ratings`` of the metric learned on each row of ``trained_on``.

    For every training rating vector ``y`` (a row of ``trained_on``, e.g. degraded ratings),
    the regularised metric's leave-one-sound-out predictions are computed for every strength
    of ``spec.gammas``, the strength whose held-out predictions correlate best with ``y``
    itself is kept (chosen without the original ratings), and those held-out predictions are
    correlated with ``ratings``. A metric that can interpolate ``y`` gains nothing here: a
    pair's prediction never saw a rating of its own sounds. Everything is a product of
    fixed linear operators with the rating vectors (no refit per vector).

    Parameters
    ----------
    features : np.ndarray
        ``[n_sounds, dim]``.
    ratings : np.ndarray
        ``[n_pairs]`` original ratings (NaN = missing).
    trained_on : np.ndarray
        ``[m, n_pairs]`` rating vectors to learn from.
    spec : RegularisedSpec, optional

    Returns
    -------
    r : np.ndarray
        ``[m]`` signed Pearson correlations with ``ratings`` (NaN where undefined).
    gamma : np.ndarray
        ``[m]`` chosen strengths.
    """
    from hear_probes.stats import weighted_pearson

    spec = spec or RegularisedSpec()
    x = np.asarray(features, dtype=np.float64)
    s = np.asarray(ratings, dtype=np.float64)
    Y = np.atleast_2d(np.asarray(trained_on, dtype=np.float64))
    n = x.shape[0]
    i, j = pair_indices(n)
    rated = np.flatnonzero(np.isfinite(s) & np.all(np.isfinite(Y), axis=0))
    with single_threaded_blas():
        K, F = _design(x, spec.prior, spec.standardise)
        K, F = K[np.ix_(rated, rated)], F[rated]
        groups = [g for g in (np.flatnonzero((i[rated] == m) | (j[rated] == m)) for m in range(n))
                  if g.size]
        ops = _loso_operators(K, F, groups, spec.gammas)
        Yr = Y[:, rated]
        preds = np.einsum("gpq,mq->gmp", ops, Yr)  # [n_gamma, m, n_rated]
    n_g, m = preds.shape[:2]
    fit = weighted_pearson(preds.reshape(n_g * m, -1),
                           np.broadcast_to(Yr, (n_g, m, rated.size)).reshape(n_g * m, -1))
    fit = np.where(np.isfinite(fit), fit, -np.inf).reshape(n_g, m)
    best = np.argmax(fit, axis=0)
    chosen = preds[best, np.arange(m)]
    r = weighted_pearson(chosen, s[rated])
    return r, np.asarray(spec.gammas, dtype=np.float64)[best]
