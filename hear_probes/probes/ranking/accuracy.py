"""Scoring of ranking trials: per-trial scores, accuracy and Wilson 95 % intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["TIE_RTOL", "GRADIENT_TIE_RTOL", "TIE_RULES", "TieRule", "DEFAULT_TIES", "MIN_DECIDED", "CHANCE", "INTERVAL_METHOD",
           "rank_scores", "gradient_scores", "wilson_interval", "wilson_intervals",
           "binomial_p", "holm_adjust", "chance_verdict", "summarise"]

#: How ties are treated. ``"tolerance"`` (default): distances equal within ``rtol`` of their
#: rounding scale are ties, counted and left out of the accuracy. ``"strict"``: the paper's
#: ``1[d1 < d2]`` as written, on whatever the floating-point comparison gives (an exact
#: equality scores 0, a rounding-level difference decides the trial).
TIE_RULES = ("tolerance", "strict")
#: Fewest decided (non-tied) trials for which an accuracy is reported. Below it the column reads
#: "n/a" with the count: at 30 decided trials the Wilson 95 % interval of an accuracy near 0.5 is
#: already +/- 0.17 wide (0.33 in all), and with 3 or 7 trials it spans half the unit interval,
#: so a number such as 0.000 (SOT-512-LS level, 3 decided trials of 1000) would read as a
#: measured failure when it is no measurement at all.
MIN_DECIDED = 30
#: Chance level of every column: a direction guessed at random is right half the time.
CHANCE = 0.5
INTERVAL_METHOD = ("Wilson score 95 % interval over the decided trials (ties left out); "
                   "p: exact two-sided binomial test against 0.5")


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


def _check_rule(tie_rule: str) -> None:
    if tie_rule not in TIE_RULES:
        raise ValueError(f"unknown tie rule {tie_rule!r}; valid: {', '.join(TIE_RULES)}")


@dataclass(frozen=True)
class TieRule:
    """How two distances (or a gradient) that differ by rounding only are scored.

    ``rule="tolerance"`` with ``rtol`` / ``gradient_rtol`` (``TIE_RTOL`` /
    ``GRADIENT_TIE_RTOL``) or ``rule="strict"``: the paper's ``<`` as written.
    """

    rule: str = "tolerance"
    rtol: float = TIE_RTOL
    gradient_rtol: float = GRADIENT_TIE_RTOL

    def __post_init__(self) -> None:
        _check_rule(self.rule)
        if not (self.rtol >= 0 and self.gradient_rtol >= 0):
            raise ValueError(f"tie tolerances must be >= 0, got rtol={self.rtol}, "
                             f"gradient_rtol={self.gradient_rtol}")

    @classmethod
    def scaled(cls, rule: str = "tolerance", rtol: float = TIE_RTOL) -> TieRule:
        """A rule with tolerance ``rtol`` and the gradient tolerance scaled with it."""
        return cls(rule, rtol, float(f"{rtol * GRADIENT_TIE_RTOL / TIE_RTOL:.6g}"))

    def describe(self) -> str:
        """One line for ``ranking.json["settings"]["ties"]``."""
        if self.rule == "strict":
            return ("strict: 1[d1 < d2] compared in the precision of the run, as written in the "
                    "paper (eqs. 5-6); no ties; an exact equality or a zero gradient scores 0")
        return (f"|d1 - d2| <= {self.rtol:g} max(s1, s2), s = d(target, 0) + d(candidate, 0), "
                f"and gradients with |g| <= {self.gradient_rtol:g} s (or zero) are ties: "
                "counted in n_ties, left out of the accuracy and its interval; "
                "accuracy_ties_as_half counts them as coin flips")


#: The default rule (tolerance ``TIE_RTOL``).
DEFAULT_TIES = TieRule()


def _is_tie(diff, scale, rtol: float) -> np.ndarray:
    return np.abs(diff) <= rtol * np.abs(scale)


def rank_scores(d_pred: np.ndarray, d_perturbed: np.ndarray, scale_pred: np.ndarray | None = None,
                scale_perturbed: np.ndarray | None = None, rtol: float = TIE_RTOL,
                tie_rule: str = "tolerance") -> np.ndarray:
    """Per-trial score of ``1[d(target, prediction) < d(target, perturbed)]`` (paper eqs. 5-6).

    Parameters
    ----------
    d_pred, d_perturbed : ndarray
        ``d(target, prediction)`` and ``d(target, perturbed)`` per trial, in the precision they
        were computed in (the comparison of ``tie_rule="strict"`` is made in that precision).
    scale_pred, scale_perturbed : ndarray, optional
        Rounding scale of each distance (``d(target, 0) + d(candidate, 0)``; default: the
        distances themselves).
    rtol : float
        Tie tolerance relative to the scale (``tie_rule="tolerance"``).
    tie_rule : {"tolerance", "strict"}
        ``"tolerance"``: a **tie** is ``|d1 - d2| <= rtol * max(s1, s2)``, the two distances
        equal within float precision; :func:`summarise` counts ties and leaves them out.
        ``"strict"``: the paper's ``<`` as written; no ties (equality scores 0).

    Returns
    -------
    ndarray
        1 (correct), 0 (wrong) or 0.5 (tie).
    """
    _check_rule(tie_rule)
    if tie_rule == "strict":
        return np.where(np.asarray(d_pred) < np.asarray(d_perturbed), 1.0, 0.0)
    d_pred = np.asarray(d_pred, dtype=np.float64)
    d_perturbed = np.asarray(d_perturbed, dtype=np.float64)
    s1 = np.abs(d_pred) if scale_pred is None else np.asarray(scale_pred, dtype=np.float64)
    s2 = np.abs(d_perturbed) if scale_perturbed is None else np.asarray(scale_perturbed,
                                                                          dtype=np.float64)
    scale = np.maximum(np.maximum(s1, s2), np.maximum(np.abs(d_pred), np.abs(d_perturbed)))
    tie = _is_tie(d_pred - d_perturbed, scale, rtol)
    return np.where(tie, 0.5, np.where(d_pred < d_perturbed, 1.0, 0.0))


def gradient_scores(gradient: np.ndarray, away: np.ndarray, scale: np.ndarray | None = None,
                    rtol: float = GRADIENT_TIE_RTOL, tie_rule: str = "tolerance") -> np.ndarray:
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
    rtol : float
        Tolerance relative to ``scale``.
    tie_rule : {"tolerance", "strict"}
        ``"strict"``: no ties; a zero gradient scores 0 (the strict ``<`` of eqs. 5-6).

    Returns
    -------
    ndarray
        1 where ``gradient * away > 0``, 0 where ``< 0``, 0.5 for a tie; NaN gradients score 0.
    """
    _check_rule(tie_rule)
    grad = np.asarray(gradient, dtype=np.float64)
    g = grad * np.asarray(away, dtype=np.float64)
    if tie_rule == "strict":
        return np.where(g > 0, 1.0, 0.0)
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


def wilson_intervals(successes: np.ndarray, n: np.ndarray,
                     z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`wilson_interval`: ``(low, high)`` arrays, NaN where ``n == 0``."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.where(n > 0, np.maximum(0.0, centre - half), np.nan)
    hi = np.where(n > 0, np.minimum(1.0, centre + half), np.nan)
    return lo, hi


def binomial_p(successes: int, n: int, chance: float = CHANCE) -> float:
    """Exact two-sided binomial test of ``successes`` out of ``n`` against ``chance`` (NaN if 0)."""
    if n <= 0:
        return float("nan")
    from scipy.stats import binomtest

    return float(binomtest(int(successes), int(n), chance).pvalue)


def holm_adjust(pvalues: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (:func:`hear_probes.stats.holm`)."""
    from hear_probes.stats import holm

    return holm(pvalues)


def chance_verdict(ci: tuple[float, float] | list | None, chance: float = CHANCE) -> str:
    """``"above chance"`` / ``"below chance"`` only where the interval excludes ``chance``."""
    if ci is None or any(x is None or not np.isfinite(x) for x in ci):
        return "n/a"
    lo, hi = ci
    if lo > chance:
        return "above chance"
    if hi < chance:
        return "below chance"
    return "not distinguishable from chance"


def summarise(scores: np.ndarray, min_decided: int = 1) -> dict:
    """Accuracy over the decided trials, its Wilson 95 % interval, and the ties.

    Ties (score 0.5) are left out: ``accuracy = correct / (n_trials - n_ties)``; NaN when fewer
    than ``min_decided`` trials are decided (every trial ties, by default; the probe uses
    :data:`MIN_DECIDED`), and so are its interval and ``p``. ``accuracy_ties_as_half`` counts
    each tie as half a success (a coin flip), the reading comparable to implementations where
    float rounding decides ties. ``p`` is the exact two-sided binomial test against 0.5.
    """
    scores = np.asarray(scores, dtype=np.float64)
    n = int(scores.size)
    ties = scores == 0.5
    decided = scores[~ties]
    m = int(decided.size)
    k = int(decided.sum())
    enough = m >= max(1, min_decided)
    acc = float(decided.mean()) if enough else float("nan")
    lo, hi = wilson_interval(float(k), m) if enough else (float("nan"), float("nan"))
    p = binomial_p(k, m) if enough else float("nan")
    # ties as coin flips: what a float32 implementation with a strict "<" reports where rounding
    # decides tied trials at random (exact equalities would be errors instead; the comparison
    # with the paper's Table 1 is in docs/ranking.md, "The strict '<'")
    half = float(scores.mean()) if n else float("nan")
    return {"accuracy": acc, "ci95": [lo, hi], "p": p, "n_trials": n, "n_ties": int(ties.sum()),
            "n_decided": m, "n_correct": k, "accuracy_ties_as_half": half}
