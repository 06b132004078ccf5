"""Intervals and chance levels of the timbre scores: bootstrap over sounds, Mantel permutations.

Every score of the probe compares a *fixed* vector of pair predictions with the ratings of
one study: the raw distances (``euclidean``, ``cosine``), the pooled held-out predictions
(``loso``, ``regularised``) and the learned in-sample distances (``in_sample``). For each:

- **95 % interval**: percentile bootstrap over *sounds* (:mod:`hear_probes.stats`): a
  resample draws the study's sounds with replacement and keeps every pair of two distinct
  original sounds with multiplicity ``c_i c_j``; the score of the resample is the weighted
  score. The predictions are held fixed (no refit per resample): the held-out and in-sample
  intervals describe how much the score of *these* predictions depends on which sounds were
  rated, not the variability of the fitting procedure.
- **p-value** (``_p``) against chance: sound-label permutation (Mantel) test, one-sided
  (is the score larger than under a random pairing of sounds and ratings?), with the
  predictions held fixed, ``p = (1 + #{null >= observed}) / (1 + n_permutations)``. For the
  held-out predictions this ignores that they were learned from the other pairs' ratings.
- **chance** (``_chance``): median and 95th percentile of that permutation null. For the
  in-sample score the null is different: the exact optimum is *refitted* on sound-permuted
  ratings (:func:`in_sample_null`), because a learned metric with more weights than pairs
  fits random ratings too; its ``_p`` compares the in-sample score with that null.

Scores: signed explained variance ``sign(r) r**2``, Pearson ``r``; for the raw distances
also Spearman's rho, Kendall's tau-b (weighted forms: a pair of weight ``w`` stands for ``w``
copies) and triplet agreement (triplet ``(a, j, k)`` weighted by ``c_a c_j c_k``).

Seeds: the resamples and permutations of a study come from
``numpy.random.SeedSequence([seed, crc32(study), purpose])``, so they do not depend on which
other studies run.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from hear_probes.probes.timbre.metric import pair_indices, pair_matrix
from hear_probes.stats import (
    pair_weights,
    percentile_interval,
    permutation_p_value,
    permuted_pair_index,
    signed_ev,
    sound_bootstrap_counts,
    sound_permutations,
    weighted_pearson,
    weighted_spearman,
)

#: Scores of the raw distances and of the learned predictions.
RAW_SCORES = ("explained_variance", "pearson", "spearman", "kendall", "triplet_agreement")
LEARNED_SCORES = ("explained_variance", "pearson")
#: Value of each score when the distances carry no information.
CHANCE_VALUE = {"explained_variance": 0.0, "pearson": 0.0, "spearman": 0.0, "kendall": 0.0,
                "triplet_agreement": 0.5}
_PURPOSE = {"bootstrap": 1, "permutation": 2, "null_fits": 3, "timbremetrics": 4}
_CHUNK = 64  # permutations per vectorised block (bounds memory: [chunk, n_pairs, n_pairs])


@dataclass(frozen=True)
class UncertaintyConfig:
    """Resampling settings (recorded in timbre.json).

    Parameters
    ----------
    n_bootstrap : int
        Bootstrap resamples over sounds (0: no intervals).
    n_permutations : int
        Sound-label permutations of the Mantel tests (0: no p-values).
    n_null_fits : int
        Permutations of the in-sample null, each refitting the exact optimum (0: none).
    level : float
        Interval coverage.
    seed : int
        Base seed.
    """

    n_bootstrap: int = 1000
    n_permutations: int = 1000
    n_null_fits: int = 200
    level: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if min(self.n_bootstrap, self.n_permutations, self.n_null_fits) < 0:
            raise ValueError("resample counts must be >= 0")
        if not 0 < self.level < 1:
            raise ValueError(f"interval level must be in (0, 1), got {self.level}")

    def interval_method(self) -> str:
        """The ``interval_method`` string of timbre.json."""
        return (f"percentile bootstrap over sounds (pair weights c_i c_j, predictions held fixed), "
                f"{self.n_bootstrap} resamples, level {self.level}, seed {self.seed}")

    def chance_method(self) -> str:
        """How ``_p`` and ``_chance`` are computed."""
        return (f"sound-label permutation (Mantel) test, one-sided, predictions held fixed, "
                f"{self.n_permutations} permutations; in-sample: exact optimum refitted on "
                f"sound-permuted ratings, {self.n_null_fits} permutations; seed {self.seed}; "
                "_chance = [median, 95th percentile] of the null")


def study_seed(seed: int, study: str, purpose: str) -> int:
    """Seed of one study's resamples (independent of the other studies of the run)."""
    ss = np.random.SeedSequence([int(seed), zlib.crc32(study.encode()), _PURPOSE[purpose]])
    return int(ss.generate_state(1)[0])


@dataclass
class Resampled:
    """One score of one predictor of one study: observed value, bootstrap and null replicates."""

    value: float
    boot: np.ndarray
    null: np.ndarray

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of the bootstrap replicates (NaN when there are none)."""
        if self.boot.size == 0:
            return float("nan"), float("nan")
        lo, hi = percentile_interval(self.boot, level)
        return float(lo), float(hi)

    def p_value(self) -> float:
        """One-sided permutation p-value (NaN without a null)."""
        if self.null.size == 0 or not np.isfinite(self.value):
            return float("nan")
        return float(permutation_p_value(self.value, self.null))

    def chance(self) -> tuple[float, float]:
        """Median and 95th percentile of the null (NaN without one)."""
        v = self.null[np.isfinite(self.null)]
        if v.size == 0:
            return float("nan"), float("nan")
        return float(np.median(v)), float(np.percentile(v, 95))


# -- the study's resampling plan ------------------------------------------------------------------
@dataclass
class StudyResampling:
    """Bootstrap counts and permutations of one study (shared by all its predictors)."""

    n_sounds: int
    counts: np.ndarray  # [R, n]
    weights: np.ndarray  # [R, n_pairs]
    perms: np.ndarray  # [Q, n]
    perm_index: np.ndarray  # [Q, n_pairs]

    @classmethod
    def draw(cls, study: str, n_sounds: int, config: UncertaintyConfig) -> StudyResampling:
        """Draw the resamples of ``study`` (seeded per study)."""
        i, j = pair_indices(n_sounds)
        if config.n_bootstrap:
            counts = sound_bootstrap_counts(n_sounds, config.n_bootstrap,
                                            study_seed(config.seed, study, "bootstrap"))
        else:
            counts = np.zeros((0, n_sounds), dtype=np.int64)
        if config.n_permutations:
            perms = sound_permutations(n_sounds, config.n_permutations,
                                       study_seed(config.seed, study, "permutation"))
        else:
            perms = np.zeros((0, n_sounds), dtype=np.int64)
        return cls(n_sounds, counts, pair_weights(counts, i, j), perms,
                   permuted_pair_index(perms, i, j) if perms.size else np.zeros((0, i.size), int))


# -- scores of fixed predictions ------------------------------------------------------------------
def _pearson_family(pred: np.ndarray, s: np.ndarray, rs: StudyResampling) -> dict[str, Resampled]:
    value = float(weighted_pearson(pred, s)[0])
    boot = weighted_pearson(pred, s, rs.weights) if rs.weights.size else np.zeros(0)
    null = weighted_pearson(pred[rs.perm_index], s) if rs.perm_index.size else np.zeros(0)
    return {"pearson": Resampled(value, boot, null),
            "explained_variance": Resampled(signed_ev(value), signed_ev(boot), signed_ev(null))}


def _midranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x)
    out[ok] = rankdata(x[ok])
    return out


def _spearman(pred: np.ndarray, s: np.ndarray, rs: StudyResampling) -> Resampled:
    ok = np.isfinite(pred) & np.isfinite(s)
    value = float(weighted_spearman(np.where(ok, pred, np.nan), s)[0])
    boot = weighted_spearman(np.where(ok, pred, np.nan), s, rs.weights) if rs.weights.size \
        else np.zeros(0)
    # permuted ranks = ranks permuted (exact when every pair is rated; with missing ratings the
    # ranks are those of all rated pairs, not re-ranked per permutation)
    null = weighted_pearson(_midranks(pred)[rs.perm_index], _midranks(s)) if rs.perm_index.size \
        else np.zeros(0)
    return Resampled(value, boot, null)


def _signs(x: np.ndarray) -> np.ndarray:
    """``[n, n]`` sign(x_p - x_q), 0 where either side is not finite."""
    ok = np.isfinite(x)
    xs = np.where(ok, x, 0.0)
    sg = np.sign(xs[:, None] - xs[None, :])
    sg[~ok] = 0.0
    sg[:, ~ok] = 0.0
    return sg


def _kendall(pred: np.ndarray, s: np.ndarray, rs: StudyResampling) -> Resampled:
    """Kendall's tau-b, weighted (a pair of weight w stands for w copies; copies tie)."""
    sd, ss = _signs(pred), _signs(s)
    both = sd * ss
    ad, as_ = np.abs(sd), np.abs(ss)
    # tau-b over pairs with both values: a pair missing either side has zero weight
    vd = np.isfinite(pred).astype(float)
    vs = np.isfinite(s).astype(float)
    ad_v, as_v = ad * np.outer(vs, vs), as_ * np.outer(vd, vd)

    def tau(W: np.ndarray) -> np.ndarray:
        num = np.einsum("rp,rp->r", W @ both, W)
        tx = np.einsum("rp,rp->r", W @ ad_v, W)
        ty = np.einsum("rp,rp->r", W @ as_v, W)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where((tx > 0) & (ty > 0), num / np.sqrt(tx * ty), np.nan)

    value = float(tau(np.ones((1, pred.size)))[0])
    boot = tau(rs.weights) if rs.weights.size else np.zeros(0)
    null = np.zeros(0)
    if rs.perm_index.size:
        null = _kendall_null(sd, ss, vd, vs, rs.perm_index)
    return Resampled(value, boot, null)


def _kendall_null(sd: np.ndarray, ss: np.ndarray, vd: np.ndarray, vs: np.ndarray,
                  perm_index: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of the sound-permuted predictions, ``[n_permutations]``.

    The sign matrix of the predictions is gathered per permutation (``[chunk, P, P]``
    int8 blocks). With every pair valid on both sides the tau-b denominators do not change
    under a permutation and only the numerator is recomputed.
    """
    sd8 = sd.astype(np.int8)
    ssf = ss.astype(np.float32).ravel()
    all_valid = bool(vd.all() and vs.all())
    if all_valid:
        den = np.sqrt(np.abs(sd).sum() * np.abs(ss).sum())
    parts = []
    for start in range(0, perm_index.shape[0], _CHUNK):
        idx = perm_index[start:start + _CHUNK]
        sdp = sd8[idx[:, :, None], idx[:, None, :]].reshape(idx.shape[0], -1)
        num = sdp.astype(np.float32) @ ssf
        if all_valid:
            parts.append(num / den if den > 0 else np.full(num.shape, np.nan))
            continue
        tx = np.abs(sdp).astype(np.float32) @ np.outer(vs, vs).astype(np.float32).ravel()
        vdp = vd[idx]
        ty = np.einsum("cp,cp->c", vdp @ np.abs(ss), vdp)
        with np.errstate(invalid="ignore", divide="ignore"):
            parts.append(np.where((tx > 0) & (ty > 0), num / np.sqrt(tx * ty), np.nan))
    return np.concatenate(parts).astype(np.float64)


def _triplet_terms(dm: np.ndarray, sm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Agreement ``A`` and validity ``V`` of every ordered triplet ``[..., a, j, k]``.

    ``dm`` may carry leading batch axes (permutations). A triplet is valid when its two
    ratings differ and both distances exist; agreement is 1, 0 or 1/2 (distance tie).
    """
    dd = dm[..., :, :, None] - dm[..., :, None, :]
    ds = sm[:, :, None] - sm[:, None, :]
    valid = np.isfinite(dd) & np.isfinite(ds) & (ds != 0)
    agree = np.where(dd == 0, 0.5, (np.sign(dd) == np.sign(ds)).astype(float))
    return np.where(valid, agree, 0.0), valid.astype(float)


def _triplets(pred: np.ndarray, s: np.ndarray, rs: StudyResampling) -> Resampled:
    n = rs.n_sounds
    dm, sm = pair_matrix(pred, n), pair_matrix(s, n)
    A, V = _triplet_terms(dm, sm)
    den = V.sum()
    value = float(A.sum() / den) if den > 0 else float("nan")
    boot = np.zeros(0)
    if rs.counts.size:
        C = rs.counts.astype(np.float64)

        def weighted_sum(T: np.ndarray) -> np.ndarray:
            X = np.einsum("ajk,rk->raj", T, C)
            return np.einsum("raj,ra,rj->r", X, C, C)

        with np.errstate(invalid="ignore", divide="ignore"):
            wd = weighted_sum(V)
            boot = np.where(wd > 0, weighted_sum(A) / wd, np.nan)
    null = np.zeros(0)
    if rs.perms.size:
        parts = []
        for start in range(0, rs.perms.shape[0], _CHUNK):
            p = rs.perms[start:start + _CHUNK]
            dmp = dm[p[:, :, None], p[:, None, :]]  # sound labels of the distances shuffled
            Ap, Vp = _triplet_terms(dmp, sm)
            with np.errstate(invalid="ignore", divide="ignore"):
                vs = Vp.sum(axis=(1, 2, 3))
                parts.append(np.where(vs > 0, Ap.sum(axis=(1, 2, 3)) / vs, np.nan))
        null = np.concatenate(parts)
    return Resampled(value, boot, null)


def resample_scores(pred: np.ndarray, s: np.ndarray, rs: StudyResampling,
                    scores: tuple[str, ...] = LEARNED_SCORES) -> dict[str, Resampled]:
    """Observed value, bootstrap and permutation replicates of ``scores`` for fixed ``pred``.

    Parameters
    ----------
    pred : np.ndarray
        ``[n_pairs]`` predictions (larger = more dissimilar; NaN = none).
    s : np.ndarray
        ``[n_pairs]`` ratings (NaN = not rated).
    rs : StudyResampling
        The study's resamples.
    scores : tuple of str
        Subset of :data:`RAW_SCORES`.

    Returns
    -------
    dict
        ``{score: Resampled}``.
    """
    pred = np.asarray(pred, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    out: dict[str, Resampled] = {}
    if {"pearson", "explained_variance"} & set(scores):
        out.update(_pearson_family(pred, s, rs))
    if "spearman" in scores:
        out["spearman"] = _spearman(pred, s, rs)
    if "kendall" in scores:
        out["kendall"] = _kendall(pred, s, rs)
    if "triplet_agreement" in scores:
        out["triplet_agreement"] = _triplets(pred, s, rs)
    return {k: out[k] for k in scores if k in out}


# -- summaries over studies -----------------------------------------------------------------------
def median_with_interval(values: dict[str, float], boots: dict[str, np.ndarray],
                         level: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Median over studies and its interval (median of each joint bootstrap replicate).

    Replicate ``r`` of the median is the median over studies of every study's replicate
    ``r`` (each study's sounds resampled independently); studies with a NaN value are left
    out of both.

    Parameters
    ----------
    values : dict
        ``{study: observed score}``.
    boots : dict
        ``{study: [R] replicates}`` (same ``R`` for every study).
    level : float

    Returns
    -------
    (median, (low, high))
    """
    keep = [k for k, v in values.items() if v is not None and np.isfinite(v)]
    if not keep:
        return float("nan"), (float("nan"), float("nan"))
    med = float(np.median([values[k] for k in keep]))
    reps = [boots[k] for k in keep if k in boots and np.size(boots[k])]
    if len(reps) != len(keep):
        return med, (float("nan"), float("nan"))
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore", RuntimeWarning)
        m = np.nanmedian(np.stack(reps), axis=0)
    lo, hi = percentile_interval(m, level)
    return med, (float(lo), float(hi))


# -- the in-sample null: refit on permuted ratings ------------------------------------------------
@dataclass
class NullTask:
    """A block of in-sample null fits of one study (picklable, for local processes or Dask).

    Attributes
    ----------
    key : tuple
        ``("null", study, block)``.
    features : np.ndarray
        ``[n_sounds, dim]``.
    active : np.ndarray of bool
        Dimensions fitted.
    ratings : np.ndarray
        ``[n_pairs]`` ratings.
    perm_index : np.ndarray
        ``[q, n_pairs]`` condensed indices of the sound-permuted pairs.
    """

    key: tuple
    features: np.ndarray
    active: np.ndarray
    ratings: np.ndarray
    perm_index: np.ndarray


def run_null_task(task: NullTask) -> tuple[tuple, np.ndarray]:
    """Signed EV of the exact optimum on each permuted rating vector (0: no positive metric)."""
    from hear_probes.probes.timbre.metric import (
        PearsonObjective,
        exact_start,
        has_positive_metric,
        pair_differences,
        single_threaded_blas,
    )

    D = pair_differences(task.features)[:, task.active]
    out = np.zeros(task.perm_index.shape[0])
    with single_threaded_blas():
        for q, idx in enumerate(task.perm_index):
            y = task.ratings[idx]
            if not has_positive_metric(D, y):
                continue
            p = PearsonObjective(D, y).pearson(exact_start(D, y))
            out[q] = signed_ev(p)
    return task.key, out


def null_tasks(name: str, features: np.ndarray, active: np.ndarray, ratings: np.ndarray,
               config: UncertaintyConfig, block: int = 25) -> list[NullTask]:
    """The in-sample null fits of one study, in blocks of ``block`` permutations."""
    if not config.n_null_fits:
        return []
    n = features.shape[0]
    i, j = pair_indices(n)
    perms = sound_permutations(n, config.n_null_fits, study_seed(config.seed, name, "null_fits"))
    index = permuted_pair_index(perms, i, j)
    return [NullTask(("null", name, b), features, active, ratings, index[b:b + block])
            for b in range(0, index.shape[0], block)]
