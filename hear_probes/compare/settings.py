"""Settings of a paired comparison and which pairs of models it compares."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations

__all__ = ["CompareSettings", "model_pairs"]


@dataclass(frozen=True)
class CompareSettings:
    """How ``hear-probes compare`` tests differences.

    Attributes
    ----------
    n_resamples : int
        Bootstrap resamples (of sounds for timbre, of trials for ranking). With ``B``
        resamples the smallest bootstrap p-value is ``2 / (B + 1)``: Holm over the 21 timbre
        studies needs ``B >= 840`` for any per-study difference to be significant at 0.05.
    seed : int
        Seed of every resample (each study draws from its own stream, derived from the seed
        and the study's name, so that adding a study changes no other study's draws).
    level : float
        Coverage of the intervals.
    alpha : float
        Level of the tests after Holm's correction.
    baseline : bool
        With more than two models: compare each with the first (``True``) instead of all
        pairs (``False``).
    studies : tuple of str, optional
        Timbre studies to compare (default: all; both folders must then hold the same set).
    """

    n_resamples: int = 1000
    seed: int = 0
    level: float = 0.95
    alpha: float = 0.05
    baseline: bool = False
    studies: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.n_resamples < 1:
            raise ValueError(f"n_resamples must be at least 1, got {self.n_resamples}")
        if not 0 < self.level < 1 or not 0 < self.alpha < 1:
            raise ValueError(f"level and alpha must be in (0, 1), got {self.level}, {self.alpha}")

    def as_dict(self) -> dict:
        """The settings as a JSON-ready dict."""
        out = asdict(self)
        out["studies"] = list(self.studies) if self.studies is not None else None
        out["design"] = "each against the first (baseline)" if self.baseline else "all pairs"
        return out


def model_pairs(n_models: int, baseline: bool = False) -> list[tuple[int, int]]:
    """Index pairs ``(a, b)`` to compare; each difference is read as ``b - a``.

    Parameters
    ----------
    n_models : int
        Number of models (at least 2).
    baseline : bool, default False
        ``True``: ``(0, k)`` for every other model ``k`` (``n - 1`` comparisons);
        ``False``: every pair ``(a, b)`` with ``a < b`` (``n (n - 1) / 2`` comparisons).
    """
    if n_models < 2:
        raise ValueError(f"a comparison needs at least 2 models, got {n_models}")
    if baseline:
        return [(0, k) for k in range(1, n_models)]
    return list(combinations(range(n_models), 2))
