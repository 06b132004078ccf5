"""Independent metric-learning fits as picklable tasks (for local processes or Dask)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hear_probes.probes.timbre.metric import (
    FitOptions,
    distances,
    fit_metric,
    pair_differences,
    pearson,
)


@dataclass
class FitTask:
    """One fit: learn on ``train`` ratings, score the learned distances against ``score``.

    Attributes
    ----------
    key : tuple
        Identifies the fit in the results, e.g. ``("full", "Grey1977")``,
        ``("loso", "Grey1977", 3)``, ``("robust", "Grey1977", 2, 4)``.
    features : np.ndarray
        ``[n_sounds, dim]`` features of the study (the pair differences are computed in the
        worker: shipping ``features`` is ``n_sounds / 2`` times cheaper than shipping ``D``).
    active : np.ndarray of bool
        Dimensions to optimise (constant dimensions are left out).
    train : np.ndarray
        ``[n_pairs]`` ratings to learn from (NaN = pair not used).
    score : np.ndarray
        ``[n_pairs]`` ratings to score against (NaN = pair not scored).
    options : FitOptions
    seed : int
        Seed of the random initialisation (``init="random"``).
    keep_weights : bool
        Return the learned weights (only the full fits need them).
    """

    key: tuple
    features: np.ndarray
    active: np.ndarray
    train: np.ndarray
    score: np.ndarray
    options: FitOptions
    seed: int = 0
    keep_weights: bool = False


@dataclass
class FitOutcome:
    """What a worker sends back for one :class:`FitTask`.

    ``extra["no_positive_metric"]`` is set when no non-negative weighting correlates
    positively with the training ratings: ``predicted`` then comes from placeholder weights
    and must not be scored as a learned metric.
    """

    key: tuple
    pearson_train: float
    pearson_score: float
    predicted: np.ndarray
    n_iter: int
    converged: bool
    message: str
    seconds: float
    weights: np.ndarray | None = None
    error: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def no_positive_metric(self) -> bool:
        """No non-negative weighting correlates positively with the training ratings."""
        return bool(self.extra.get("no_positive_metric", False))


def run_task(task: FitTask) -> FitOutcome:
    """Run one fit (executed in a worker process or a Dask worker).

    A fit that cannot run because its *training* ratings are constant (possible in the
    robustness sweep at large noise on tiny studies, where clipping can map every pair to 0
    or 1) comes back with NaN scores and ``error`` set; the caller counts and reports it.
    """
    D = pair_differences(task.features)
    ok = np.isfinite(task.train)
    if ok.sum() < 3 or np.ptp(task.train[ok]) == 0:
        return FitOutcome(task.key, float("nan"), float("nan"), np.full(D.shape[0], np.nan),
                          0, False, "", 0.0, None, error="constant or too few training ratings")
    res = fit_metric(D, task.train, task.options, seed=task.seed, active=task.active)
    pred = distances(D, res.weights)
    return FitOutcome(
        key=task.key,
        pearson_train=res.pearson,
        pearson_score=pearson(pred, task.score),
        predicted=pred,
        n_iter=res.n_iter,
        converged=res.converged,
        message=res.message,
        seconds=res.seconds,
        weights=res.weights if task.keep_weights else None,
        extra={"no_positive_metric": bool(res.extra.get("no_positive_metric", False))},
    )
