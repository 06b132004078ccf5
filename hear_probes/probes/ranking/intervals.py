"""Accuracy as a function of the pitch interval between target and prediction.

A single accuracy over 1000 trials mixes predictions a few cents from the target with
predictions seven octaves away; a representation that locks on near the target and gives no
direction farther away (or the reverse) shows it only when the trials are split by
``|log2(w' / w)|``. Bins are fixed in semitones so that runs and representations line up.
"""

from __future__ import annotations

import numpy as np

from hear_probes.probes.ranking.accuracy import CHANCE, wilson_intervals
from hear_probes.stimuli.sines import Trials

__all__ = ["INTERVAL_EDGES", "pitch_interval_semitones", "accuracy_by_interval"]

#: Bin edges of ``|Δpitch|`` in semitones: within a semitone, a minor third, a tritone, an
#: octave, two, three, four octaves, and the rest of the 30-4000 Hz range (84.7 semitones).
INTERVAL_EDGES = (0.0, 1.0, 3.0, 6.0, 12.0, 24.0, 36.0, 48.0, 85.0)


def pitch_interval_semitones(trials: Trials) -> np.ndarray:
    """``|12 log2(w' / w)|`` per trial: the pitch interval from target to prediction."""
    return np.abs(12.0 * np.log2(np.asarray(trials.pred_freq) / np.asarray(trials.target_freq)))


def accuracy_by_interval(
    scores: dict[str, dict[str, np.ndarray | None]],
    interval: np.ndarray,
    edges: tuple[float, ...] = INTERVAL_EDGES,
) -> dict:
    """Per column, accuracy and Wilson 95 % interval in each ``|Δpitch|`` bin.

    Parameters
    ----------
    scores : dict
        ``scores[dim][scale]``: per-trial scores (1, 0, 0.5 = tie, NaN = not computed).
    interval : ndarray
        ``|Δpitch|`` per trial in semitones (:func:`pitch_interval_semitones`).
    edges : tuple of float
        Bin edges (semitones); the last bin is closed.

    Returns
    -------
    dict
        ``{"edges_semitones", "n_trials": [per bin], dim: {scale: {"accuracy", "accuracy_ci",
        "n_decided", "n_correct"}}, "accuracy_chance": 0.5}``: lists over bins, ``None`` where a
        bin has no decided trial. Ties are left out as in the headline accuracy.
    """
    interval = np.asarray(interval, dtype=np.float64)
    n_bins = len(edges) - 1
    # np.digitize against the inner edges: bin k holds edges[k] <= x < edges[k+1], last closed
    which = np.clip(np.digitize(interval, edges[1:-1]), 0, n_bins - 1)
    out: dict = {"edges_semitones": list(edges),
                 "n_trials": np.bincount(which, minlength=n_bins).tolist(),
                 "accuracy_chance": CHANCE}
    for dim, per_scale in scores.items():
        out[dim] = {}
        for scale, s in per_scale.items():
            if s is None:
                continue
            s = np.asarray(s, dtype=np.float64)
            if np.all(np.isnan(s)):
                continue
            decided = (s != 0.5) & ~np.isnan(s)
            m = np.bincount(which[decided], minlength=n_bins)
            k = np.bincount(which[decided], weights=s[decided], minlength=n_bins)
            lo, hi = wilson_intervals(k, m)
            with np.errstate(invalid="ignore", divide="ignore"):
                acc = k / m
            out[dim][scale] = {
                "accuracy": [float(a) if c else None for a, c in zip(acc, m, strict=True)],
                "accuracy_ci": [[float(a), float(b)] if c else None
                                for a, b, c in zip(lo, hi, m, strict=True)],
                "n_decided": m.tolist(),
                "n_correct": k.astype(int).tolist(),
            }
    return out
