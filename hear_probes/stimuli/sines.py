"""Stationary sine stimuli and the trial sampler of the pitch/level ranking probe.

Turian & Henry (2020), Section 3: a sinusoid ``x(A, w, phi) = A cos(w t + phi)`` has pitch drawn
uniformly in log-frequency over 30-4000 Hz, level ``L = 25 log10(A)`` drawn uniformly over
-25..0 dB (so ``A = 10 ** (L / 25)``) and a uniformly random initial phase (a nuisance).

A trial is a target ``(A, w)`` and a prediction ``(A', w')`` drawn independently; perturbed
predictions move the prediction ``eps`` further away from the target, in pitch (cents) or in level
(dB), keeping everything else (including the prediction's phase) fixed.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from hear_probes.stimuli.base import StimulusSet
from hear_probes.synth import sinusoid

__all__ = [
    "F_MIN",
    "F_MAX",
    "L_MIN",
    "L_MAX",
    "Trials",
    "level_to_amplitude",
    "amplitude_to_level",
    "sample_trials",
    "perturb_pitch",
    "perturb_level",
    "synth_sines",
    "sine_item_id",
    "parse_sine_item_id",
    "stimulus_hash",
    "render_items",
]

F_MIN = 30.0  # Hz
F_MAX = 4000.0  # Hz
L_MIN = -25.0  # dB, L = 25 log10(A)
L_MAX = 0.0  # dB
LEVEL_SCALE = 25.0  # L = LEVEL_SCALE * log10(A), eq. (4) of the paper


def level_to_amplitude(level_db):
    """``A = 10 ** (L / 25)`` (inverse of the paper's eq. 4). Works on numpy and torch."""
    if isinstance(level_db, torch.Tensor):
        return torch.pow(10.0, level_db / LEVEL_SCALE)
    return np.power(10.0, np.asarray(level_db, dtype=np.float64) / LEVEL_SCALE)


def amplitude_to_level(amplitude):
    """``L = 25 log10(A)`` (the paper's eq. 4)."""
    return LEVEL_SCALE * np.log10(np.asarray(amplitude, dtype=np.float64))


@dataclass(frozen=True)
class Trials:
    """Parameters of ``n`` ranking trials (numpy float64 arrays of length ``n``).

    Attributes
    ----------
    target_freq, target_level, target_phase : ndarray
        Target pitch (Hz), level (dB) and initial phase (rad).
    pred_freq, pred_level, pred_phase : ndarray
        Prediction pitch, level and phase; perturbed predictions share the prediction's phase.
    seed : int
        Seed of the generator that drew them.
    ranges : dict
        Sampling ranges, for the record.
    """

    target_freq: np.ndarray
    target_level: np.ndarray
    target_phase: np.ndarray
    pred_freq: np.ndarray
    pred_level: np.ndarray
    pred_phase: np.ndarray
    seed: int
    ranges: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.target_freq)

    def subset(self, index) -> Trials:
        """Trials at ``index`` (slice or integer array)."""
        return Trials(
            self.target_freq[index],
            self.target_level[index],
            self.target_phase[index],
            self.pred_freq[index],
            self.pred_level[index],
            self.pred_phase[index],
            self.seed,
            self.ranges,
        )


def sample_trials(
    n_trials: int,
    seed: int = 0,
    f_min: float = F_MIN,
    f_max: float = F_MAX,
    l_min: float = L_MIN,
    l_max: float = L_MAX,
    min_cents: float = 0.0,
    min_db: float = 0.0,
) -> Trials:
    """Draw target and prediction sinusoids independently.

    Pitch is uniform in ``log2`` frequency over ``[f_min, f_max]``, level uniform over
    ``[l_min, l_max]`` dB, phase uniform over ``[0, 2 pi)``. The paper requires ``A != A'`` and
    ``w != w'``; pairs closer than ``min_cents`` in pitch or ``min_db`` in level (or exactly equal,
    a probability-zero event with continuous draws) are redrawn, prediction only.

    Parameters
    ----------
    n_trials : int
        Number of trials.
    seed : int
        Seed of ``numpy.random.default_rng``.
    f_min, f_max : float
        Pitch range in Hz.
    l_min, l_max : float
        Level range in dB (``L = 25 log10 A``).
    min_cents, min_db : float
        Minimum target/prediction separation (0: only exact equality is excluded).

    Returns
    -------
    Trials
    """
    rng = np.random.default_rng(seed)
    lo, hi = math.log2(f_min), math.log2(f_max)

    def draw_pitch(n: int) -> np.ndarray:
        return np.power(2.0, rng.uniform(lo, hi, n))

    def draw_level(n: int) -> np.ndarray:
        return rng.uniform(l_min, l_max, n)

    t_f, t_l = draw_pitch(n_trials), draw_level(n_trials)
    t_p = rng.uniform(0.0, 2 * math.pi, n_trials)
    p_f, p_l = draw_pitch(n_trials), draw_level(n_trials)
    p_p = rng.uniform(0.0, 2 * math.pi, n_trials)
    for _ in range(1000):
        bad = (np.abs(1200 * np.log2(p_f / t_f)) <= min_cents) | (
            np.abs(p_l - t_l) <= min_db
        )
        if not bad.any():
            break
        k = int(bad.sum())
        p_f[bad], p_l[bad] = draw_pitch(k), draw_level(k)
    ranges = {"f_min": f_min, "f_max": f_max, "l_min": l_min, "l_max": l_max,
              "min_cents": min_cents, "min_db": min_db}
    return Trials(t_f, t_l, t_p, p_f, p_l, p_p, seed, ranges)


def perturb_pitch(target_freq, pred_freq, eps_cents: float) -> np.ndarray:
    """``w'' = w'`` moved ``eps_cents`` further from ``w`` in log-frequency (paper eq. 5).

    ``w'' = w' * 2 ** (sgn(log w' - log w) * eps / 1200)``. No clipping to the sampling range:
    a perturbed pitch may leave 30-4000 Hz (by at most ``eps``).
    """
    t, p = np.asarray(target_freq, np.float64), np.asarray(pred_freq, np.float64)
    return p * np.power(2.0, np.sign(np.log2(p) - np.log2(t)) * eps_cents / 1200.0)


def perturb_level(target_level, pred_level, eps_db: float) -> np.ndarray:
    """``L'' = L' + sgn(L' - L) * eps`` in dB (paper eq. 6). No clipping to -25..0 dB."""
    t, p = np.asarray(target_level, np.float64), np.asarray(pred_level, np.float64)
    return p + np.sign(p - t) * eps_db


def synth_sines(
    freq,
    level_db,
    phase,
    sample_rate: float,
    duration: float = 1.0,
    dtype: torch.dtype = torch.float32,
    phase_dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Render sinusoids ``10 ** (L / 25) cos(2 pi f t + phi)``.

    Arguments may be numpy arrays or torch tensors (the latter keep their autograd graph, so the
    output is differentiable with respect to frequency, level and phase). ``phase_dtype``: see
    :func:`hear_probes.synth.sinusoid`.

    Returns
    -------
    Tensor
        ``[n, round(duration * sample_rate)]`` audio.
    """
    f = torch.as_tensor(freq, dtype=torch.float64)
    lev = torch.as_tensor(level_db, dtype=torch.float64)
    ph = torch.as_tensor(phase, dtype=torch.float64)
    n_samples = int(round(duration * sample_rate))
    return sinusoid(f, level_to_amplitude(lev), ph, sample_rate, n_samples, dtype=dtype,
                    phase_dtype=phase_dtype)


def sine_item_id(freq: float, level_db: float, phase: float) -> str:
    """Deterministic item id encoding a sine's parameters (9 significant digits)."""
    return f"sine_f{freq:.9g}_L{level_db:.9g}_p{phase:.9g}"


def parse_sine_item_id(item_id: str) -> tuple[float, float, float]:
    """Inverse of :func:`sine_item_id`: ``(freq, level_db, phase)``."""
    body = item_id.removeprefix("sine_")
    f_part, l_part, p_part = body.split("_", 2)
    return float(f_part[1:]), float(l_part[1:]), float(p_part[1:])


def stimulus_hash(sample_rate: int, duration: float) -> str:
    """Hash of how the sines of a set are rendered (the item ids carry their parameters)."""
    payload = {"generator": "sines-v1: 10**(L/25) cos(2 pi f n / sr + phi), float64 phase",
               "sample_rate": int(sample_rate), "duration": float(duration)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def render_items(item_ids, sample_rate: int, duration: float) -> list[np.ndarray]:
    """Render sines from their item ids (mono float32 at ``sample_rate``)."""
    params = np.array([parse_sine_item_id(i) for i in item_ids], dtype=np.float64).reshape(-1, 3)
    with torch.no_grad():
        audio = synth_sines(params[:, 0], params[:, 1], params[:, 2], sample_rate, duration)
    return list(audio.numpy())


def sines_stimulus_set(item_ids, name: str, duration: float) -> StimulusSet:
    """Sines named by their ids as a :class:`~hear_probes.stimuli.base.StimulusSet`.

    Rendered directly at the model's sample rate (so the content hash depends on it).
    """

    def render(ids, sample_rate: int, resample_method: str) -> list[np.ndarray]:
        return render_items(ids, sample_rate, duration)

    return StimulusSet("ranking", name, tuple(item_ids), render,
                       lambda sample_rate: stimulus_hash(sample_rate, duration))
