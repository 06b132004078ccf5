"""Unlearned agreement of raw embedding distances with dissimilarity ratings.

Nothing is fitted here: the distance between two sounds is the plain Euclidean or cosine
distance of their embeddings, and it is compared with the mean human rating of the pair by

- explained variance: the signed ``sign(r) r**2`` of the Pearson correlation ``r`` (stored
  as ``pearson``), so an anti-correlated distance gets a negative score, never a positive one;
- Spearman's rho and Kendall's tau-b (rank agreement, robust to any monotone rating scale);
- triplet agreement: over every anchor sound ``a`` and pair of other sounds ``{j, k}`` whose
  ratings differ (``s_aj != s_ak``), the fraction for which the embedding puts the more
  dissimilar sound farther (``d_aj > d_ak`` iff ``s_aj > s_ak``); distance ties count 1/2, so
  chance level is 0.5.

These are computed on the pairs ``i < j`` of one study. They are not the scores of the
timbremetrics packages (which have no Kendall tau on pairs, and whose triplet agreement uses
min-max-normalised distances with a radius and a margin): those are in
:mod:`hear_probes.probes.timbre.timbremetrics`. Unlike the learned metric, they have no parameter fitted to the ratings,
so they cannot over-fit: they are the first numbers to read.

When every distance of a study is the same (e.g. identical embeddings), no agreement is
defined: the scores are NaN and :func:`agreement` says why in ``note``; never a number.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import kendalltau, spearmanr

from hear_probes.probes.timbre.metric import explained_variance, pair_indices, pair_matrix, pearson
from hear_probes.probes.timbre.validation import all_tied

#: Raw distances scored without learning.
UNLEARNED_DISTANCES = ("euclidean", "cosine")
#: Scores of each distance.
AGREEMENT_SCORES = ("explained_variance", "pearson", "spearman", "kendall", "triplet_agreement")


def raw_distances(features: np.ndarray, metric: str) -> np.ndarray:
    """Distances of the pairs ``i < j`` (row-major, as :func:`pair_indices`).

    Parameters
    ----------
    features : np.ndarray
        ``[n_sounds, dim]`` embeddings.
    metric : {"euclidean", "cosine"}
        Cosine distance is ``1 - cos``; a zero embedding has no direction, so its cosine
        distances are NaN.
    """
    if metric not in UNLEARNED_DISTANCES:
        raise ValueError(f"unlearned distance must be one of {UNLEARNED_DISTANCES}, not {metric!r}")
    x = np.asarray(features, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1)
        d = pdist(x, "cosine") if np.all(norms > 0) else _cosine_with_zeros(x, norms)
        return d
    return pdist(x, "euclidean")


def _cosine_with_zeros(x: np.ndarray, norms: np.ndarray) -> np.ndarray:
    i, j = pair_indices(x.shape[0])
    safe = np.where(norms > 0, norms, 1.0)
    cos = np.einsum("pd,pd->p", x[i] / safe[i, None], x[j] / safe[j, None])
    return np.where((norms[i] > 0) & (norms[j] > 0), 1.0 - cos, np.nan)


def triplet_agreement(d: np.ndarray, s: np.ndarray, n_sounds: int) -> float:
    """Fraction of anchored triplets ordered alike by distances ``d`` and ratings ``s``.

    Parameters
    ----------
    d, s : np.ndarray
        ``[n_pairs]`` distances and ratings of the pairs ``i < j`` (NaN = missing).
    n_sounds : int

    Returns
    -------
    float
        In [0, 1]; NaN when no triplet has two distinct ratings.
    """
    dm = pair_matrix(d, n_sounds)
    sm = pair_matrix(s, n_sounds)
    # [anchor, j, k]: compare the anchor's two pairs; every unordered {j, k} once (j < k)
    dd = dm[:, :, None] - dm[:, None, :]
    ds = sm[:, :, None] - sm[:, None, :]
    jj, kk = np.triu_indices(n_sounds, k=1)
    dd, ds = dd[:, jj, kk], ds[:, jj, kk]
    valid = np.isfinite(dd) & np.isfinite(ds) & (ds != 0)
    if not valid.any():
        return float("nan")
    agree = np.where(dd == 0, 0.5, (np.sign(dd) == np.sign(ds)).astype(float))
    return float(agree[valid].mean())


def agreement(d: np.ndarray, s: np.ndarray, n_sounds: int) -> dict:
    """All unlearned scores of distances ``d`` against ratings ``s`` (see module docstring).

    Returns
    -------
    dict
        ``{score: float}`` for :data:`AGREEMENT_SCORES`, and ``note`` (str, empty when every
        score is defined).
    """
    d = np.asarray(d, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    ok = np.isfinite(d) & np.isfinite(s)
    nan = float("nan")
    if ok.sum() < 3:
        return {**dict.fromkeys(AGREEMENT_SCORES, nan), "note": "fewer than 3 pairs with a distance and a rating"}
    if all_tied(d[ok]):
        return {**dict.fromkeys(AGREEMENT_SCORES, nan),
                "note": "every distance is the same (identical embeddings?): no agreement is defined"}
    r = pearson(d, s)
    rho = spearmanr(d[ok], s[ok]).statistic
    tau = kendalltau(d[ok], s[ok], variant="b").statistic
    return {
        "explained_variance": explained_variance(r),
        "pearson": r,
        "spearman": float(rho),
        "kendall": float(tau),
        "triplet_agreement": triplet_agreement(d, s, n_sounds),
        "note": "",
    }


def study_agreement(features: np.ndarray, ratings: np.ndarray) -> dict[str, dict]:
    """:func:`agreement` of every unlearned distance for one study.

    Parameters
    ----------
    features : np.ndarray
        ``[n_sounds, dim]``.
    ratings : np.ndarray
        ``[n_pairs]`` ratings of the pairs ``i < j``.

    Returns
    -------
    dict
        ``{distance: {score: value, "note": str}}``.
    """
    n = np.asarray(features).shape[0]
    return {m: agreement(raw_distances(features, m), ratings, n) for m in UNLEARNED_DISTANCES}
