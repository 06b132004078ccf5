"""Leave-one-sound-out (LOSO) cross-validation of the learned metric.

Fold ``k`` learns the weights on the pairs that do not involve sound ``k`` and predicts the
``l - 1`` held-out pairs that do. Every pair ``{i, j}`` is held out twice (folds ``i`` and
``j``).

Pooling (documented in docs/timbre.md): the learned squared distances of different folds live
on different scales (the Pearson objective fixes neither scale nor offset of ``d_w^2``), so
they cannot be pooled raw. Each fold's distances are first calibrated to the rating scale by
the least-squares line ``s ~ a + b d^2`` fitted on that fold's *training* pairs only; the
held-out pair's prediction is the mean of its two calibrated out-of-fold predictions; the
held-out explained variance is the signed ``sign(r) r**2`` of the Pearson correlation ``r``
between these pooled predictions and the ratings over all rated pairs (an anti-correlated
prediction scores negative). The mean of the per-fold signed explained variances (each over
only ``l - 1`` pairs, hence noisy) is reported as well.

A fold whose training ratings admit no positive metric (no non-negative weighting correlates
positively with them) has learned nothing: its held-out pairs get the training mean rating
(a constant, no information), and the fold is counted in ``n_no_positive``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hear_probes.probes.timbre.metric import FitOptions, explained_variance, pair_indices, pearson
from hear_probes.probes.timbre.study import Study
from hear_probes.probes.timbre.tasks import FitOutcome, FitTask


@dataclass
class LosoResult:
    """Outcome of LOSO for one study.

    Attributes
    ----------
    explained_variance : float
        Pooled held-out signed explained variance ``sign(r) r**2`` (module docstring).
    fold_explained_variance : np.ndarray
        ``[n_sounds]`` per-fold held-out signed explained variance (NaN where undefined).
    predicted : np.ndarray
        ``[n_pairs]`` pooled calibrated held-out predictions.
    n_failed : int
        Folds that could not be fitted (constant training ratings).
    pearson : float
        Signed Pearson correlation ``r`` behind ``explained_variance``.
    n_no_positive : int
        Folds without a positive metric (they predict the training mean).
    """

    explained_variance: float
    fold_explained_variance: np.ndarray
    predicted: np.ndarray
    n_failed: int
    pearson: float = float("nan")
    n_no_positive: int = 0

    @property
    def fold_mean(self) -> float:
        """Mean of the per-fold explained variances."""
        v = self.fold_explained_variance
        return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def loso_tasks(study: Study, options: FitOptions, seed: int = 0) -> list[FitTask]:
    """One task per held-out sound."""
    i, j = pair_indices(study.n_sounds)
    tasks = []
    for k in range(study.n_sounds):
        held = (i == k) | (j == k)
        train = np.where(held, np.nan, study.ratings)
        score = np.where(held, study.ratings, np.nan)
        tasks.append(
            FitTask(("loso", study.name, k), study.features, study.active, train, score,
                    options, seed=seed)
        )
    return tasks


def _calibrate(pred: np.ndarray, target: np.ndarray, fit_mask: np.ndarray) -> np.ndarray:
    """Least-squares line ``target ~ a + b pred`` on ``fit_mask``, applied to all of ``pred``."""
    x, y = pred[fit_mask], target[fit_mask]
    xc = x - x.mean()
    var = np.dot(xc, xc)
    b = np.dot(xc, y - y.mean()) / var if var > 0 else 0.0
    return y.mean() + b * (pred - x.mean())


def pool_loso(study: Study, outcomes: list[FitOutcome]) -> LosoResult:
    """Combine the folds of one study (outcomes in fold order)."""
    i, j = pair_indices(study.n_sounds)
    s = study.ratings
    rated = np.isfinite(s)
    acc = np.zeros_like(s)
    cnt = np.zeros_like(s)
    fold_ev = np.full(study.n_sounds, np.nan)
    failed = no_positive = 0
    for k, out in enumerate(outcomes):
        if out.error:
            failed += 1
            continue
        held = (i == k) | (j == k)
        train = rated & ~held
        use = held & rated
        if out.no_positive_metric:  # nothing learned: the training mean, no information
            no_positive += 1
            cal = np.full(s.shape, s[train].mean())
        else:
            cal = _calibrate(out.predicted, s, train)
            fold_ev[k] = explained_variance(pearson(out.predicted[use], s[use])) \
                if use.sum() >= 3 else np.nan
        acc[use] += cal[use]
        cnt[use] += 1
    pooled = np.where(cnt > 0, acc / np.maximum(cnt, 1), np.nan)
    r = pearson(pooled, s)
    return LosoResult(explained_variance(r), fold_ev, pooled, failed, float(r), no_positive)
