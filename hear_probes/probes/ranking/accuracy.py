"""Scoring of ranking trials: per-trial scores, accuracy and Wilson 95 % intervals."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["TIE_RTOL", "GRADIENT_TIE_RTOL", "rank_scores", "gradient_scores", "wilson_interval",
           "summarise"]


#: Relative tolerance of a tie. The stimuli and every representation are computed in float32
#: (unit round-off 6e-8). A distance's rounding error scales with the size of what it compares,
#: ``d(a, 0) + d(b, 0)`` (the triangle bound of ``d(a, b)``; ``magnitude`` of each distance);
#: two distances closer than ``TIE_RTOL`` times that are ordered by rounding, i.e. by the
#: machine's FFT / reduction kernels (a level change on a level-invariant distance moves it by
#: rounding only). docs/ranking.md ("Ties") gives the measured gap that sets the value.
TIE_RTOL = 1e-5
#: The same for the eps column: ``|dd/dtheta'| <= GRADIENT_TIE_RTOL * scale`` per octave / dB is
#: a tie. Tighter, because a gradient carries no finite step: a level change of 1 dB on the
#: log-energy coordinate of a pitch-dominated distance genuinely moves ``d`` by ~1e-5 of its
#: scale, while the rounding residue of an analytically zero gradient (level on a
#: level-invariant distance) stays below ~5e-7 of it (docs/ranking.md, "Ties").
GRADIENT_TIE_RTOL = 1e-6


def _is_tie(diff, scale, rtol: float) -> np.ndarray:
    return np.abs(diff) <= rtol * np.abs(scale)


def rank_scores(d_pred: np.ndarray, d_perturbed: np.ndarray, scale_pred: np.ndarray | None = None,
                scale_perturbed: np.ndarray | None = None, rtol: float = TIE_RTOL) -> np.ndarray:
    """Per-trial score of ``1[d(target, prediction) < d(target, perturbed)]`` (paper eqs. 5-6).

    Returns 1 (correct), 0 (wrong) or 0.5 for a **tie**: ``|d1 - d2| <= rtol * max(s1, s2)``,
    the two distances equal within float precision, where ``s`` is the rounding scale of each
    distance (``d(target, 0) + d(candidate, 0)``; default: the distances themselves).
    :func:`summarise` counts ties and leaves them out of the accuracy.
    """
    d_pred = np.asarray(d_pred, dtype=np.float64)
    d_perturbed = np.asarray(d_perturbed, dtype=np.float64)
    s1 = np.abs(d_pred) if scale_pred is None else np.asarray(scale_pred, dtype=np.float64)
    s2 = np.abs(d_perturbed) if scale_perturbed is None else np.asarray(scale_perturbed,
                                                                          dtype=np.float64)
    scale = np.maximum(np.maximum(s1, s2), np.maximum(np.abs(d_pred), np.abs(d_perturbed)))
    tie = _is_tie(d_pred - d_perturbed, scale, rtol)
    return np.where(tie, 0.5, np.where(d_pred < d_perturbed, 1.0, 0.0))


def gradient_scores(gradient: np.ndarray, away: np.ndarray, scale: np.ndarray | None = None,
                    rtol: float = GRADIENT_TIE_RTOL) -> np.ndarray:
    """Infinitesimal column (``epsilon -> 0``): does ``d`` grow when the prediction moves away?

    The limit of eqs. 5-6 as the perturbation goes to zero: ``1[d(t, p) < d(t, p + e away)]``
    tends to ``1[sgn(dd/dtheta') = sgn(theta' - theta)]``. The sign does not depend on the
    (monotonic) parametrisation, so ``theta' = log2 w'`` and ``L'`` (dB) give the paper's
    ``w'`` and ``A'`` columns.

    Parameters
    ----------
    gradient : ndarray
        ``dd/dtheta'`` at the prediction (``theta' = log2 w'`` or ``L'``).
    away : ndarray
        ``sgn(theta' - theta)``, the direction away from the target.
    scale : ndarray, optional
        Rounding scale of ``d(target, prediction)`` (see :func:`rank_scores`): a gradient with
        ``|g| * 1 <= rtol * scale`` (one octave / one dB moving ``d`` by less than float
        precision) is a tie, as is an exactly zero gradient.

    Returns
    -------
    ndarray
        1 where ``gradient * away > 0``, 0 where ``< 0``, 0.5 for a tie; NaN gradients score 0.
    """
    grad = np.asarray(gradient, dtype=np.float64)
    g = grad * np.asarray(away, dtype=np.float64)
    tie = g == 0
    if scale is not None:
        tie |= _is_tie(grad, scale, rtol) & (np.asarray(scale) > 0)
    return np.where(tie, 0.5, np.where(g > 0, 1.0, 0.0))


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
    """Accuracy over the decided trials, its Wilson 95 % interval, and the ties.

    Ties (score 0.5) are left out: ``accuracy = correct / (n_trials - n_ties)``; NaN when every
    trial ties. ``accuracy_ties_as_half`` counts each tie as half a success (a coin flip), the
    reading comparable to implementations where float rounding decides ties.
    """
    scores = np.asarray(scores, dtype=np.float64)
    n = int(scores.size)
    ties = scores == 0.5
    decided = scores[~ties]
    m = int(decided.size)
    acc = float(decided.mean()) if m else float("nan")
    lo, hi = wilson_interval(float(decided.sum()), m)
    # ties as coin flips: the figure a float32 implementation with a strict "<" reports, where
    # rounding decides tied trials at random (the published tables were computed that way)
    half = float(scores.mean()) if n else float("nan")
    return {"accuracy": acc, "ci95": [lo, hi], "n_trials": n, "n_ties": int(ties.sum()),
            "n_decided": m, "accuracy_ties_as_half": half}
