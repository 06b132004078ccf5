"""The six columns of Table 1 and the stimuli each trial needs.

A trial (target, prediction) is scored in six columns: pitch and level, each at ``eps`` (the
gradient, ``epsilon -> 0``), fine and coarse perturbation sizes. The numeric columns need one
perturbed prediction each, so a trial involves six sinusoids: target, prediction and four
perturbed predictions. Every perturbed prediction keeps the prediction's phase and the
non-perturbed parameter (paper eqs. 5 and 6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hear_probes.stimuli.sines import Trials, perturb_level, perturb_pitch

__all__ = [
    "DIMENSIONS",
    "SCALES",
    "COLUMNS",
    "DEFAULT_EPSILONS",
    "EPSILON_UNITS",
    "SineParams",
    "candidate_params",
    "away_directions",
]

DIMENSIONS = ("pitch", "level")
SCALES = ("eps", "fine", "coarse")
#: (dimension, scale) in Table 1 order
COLUMNS = tuple((d, s) for d in DIMENSIONS for s in SCALES)
#: perturbation sizes of the paper: cents for pitch, dB for level
DEFAULT_EPSILONS = {"pitch": {"fine": 30.0, "coarse": 600.0}, "level": {"fine": 2.0, "coarse": 10.0}}
EPSILON_UNITS = {"pitch": "cents", "level": "dB"}


@dataclass(frozen=True)
class SineParams:
    """Parameters of a batch of sinusoids (numpy float64 arrays of equal length)."""

    freq: np.ndarray
    level: np.ndarray
    phase: np.ndarray

    def __len__(self) -> int:
        return len(self.freq)


def candidate_params(
    trials: Trials, epsilons: dict | None = None
) -> dict[str, SineParams]:
    """Sinusoid parameters of every role in the trials.

    Returns
    -------
    dict
        ``"target"``, ``"prediction"`` and ``"<dimension>-<scale>"`` for the numeric columns
        (e.g. ``"pitch-fine"``), each a :class:`SineParams` aligned with the trials.
    """
    eps = epsilons or DEFAULT_EPSILONS
    out = {
        "target": SineParams(trials.target_freq, trials.target_level, trials.target_phase),
        "prediction": SineParams(trials.pred_freq, trials.pred_level, trials.pred_phase),
    }
    for scale, cents in eps["pitch"].items():
        out[f"pitch-{scale}"] = SineParams(
            perturb_pitch(trials.target_freq, trials.pred_freq, cents),
            trials.pred_level,
            trials.pred_phase,
        )
    for scale, db in eps["level"].items():
        out[f"level-{scale}"] = SineParams(
            trials.pred_freq,
            perturb_level(trials.target_level, trials.pred_level, db),
            trials.pred_phase,
        )
    return out


def away_directions(trials: Trials) -> dict[str, np.ndarray]:
    """``sgn(theta' - theta)`` per dimension: the direction that moves the prediction away."""
    return {
        "pitch": np.sign(np.log2(trials.pred_freq) - np.log2(trials.target_freq)),
        "level": np.sign(trials.pred_level - trials.target_level),
    }
