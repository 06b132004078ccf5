"""Scoring of ranking trials: per-trial scores, accuracy and Wilson 95 % intervals."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["rank_scores", "gradient_scores", "wilson_interval", "summarise"]


def rank_scores(d_pred: np.ndarray, d_perturbed: np.ndarray) -> np.ndarray:
    """Per-trial score of ``1[d(target, prediction) < d(target, perturbed)]`` (paper eqs. 5-6).

    Exact ties score 0.5 (the expectation of a fair coin breaking the tie), so a representation
    that cannot tell any two stimuli apart sits at chance level rather than at zero. Ties are
    counted separately by :func:`summarise` so that their effect is visible.
    """
    d_pred = np.asarray(d_pred, dtype=np.float64)
    d_perturbed = np.asarray(d_perturbed, dtype=np.float64)
    return np.where(d_pred < d_perturbed, 1.0, np.where(d_pred == d_perturbed, 0.5, 0.0))


def gradient_scores(gradient: np.ndarray, away: np.ndarray) -> np.ndarray:
    """Infinitesimal column: is ``d`` increasing when the prediction moves away from the target?

    Parameters
    ----------
    gradient : ndarray
        ``dd/dtheta'`` at the prediction (``theta' = log w'`` or ``L'``).
    away : ndarray
        ``sgn(theta' - theta)``, the direction away from the target.

    Returns
    -------
    ndarray
        1 where ``gradient * away > 0``, 0 where ``< 0``, 0.5 where the gradient is exactly zero
        (no direction); NaN gradients score 0.
    """
    g = np.asarray(gradient, dtype=np.float64) * np.asarray(away, dtype=np.float64)
    return np.where(g > 0, 1.0, np.where(g == 0, 0.5, 0.0))


def wilson_interval(successes: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95 % by default)."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarise(scores: np.ndarray) -> dict:
    """Accuracy, Wilson 95 % interval, number of trials and of ties of a score vector."""
    scores = np.asarray(scores, dtype=np.float64)
    n = int(scores.size)
    acc = float(scores.mean()) if n else float("nan")
    lo, hi = wilson_interval(float(scores.sum()), n)
    return {"accuracy": acc, "ci95": [lo, hi], "n_trials": n,
            "n_ties": int(np.count_nonzero(scores == 0.5))}
