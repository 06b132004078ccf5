"""Differentiable DDSP-style synthesizers (torch)."""

from hear_probes.synth.ddsp import (
    filtered_noise,
    harmonic_synth,
    oscillator_bank,
    remove_above_nyquist,
    sinusoid,
    upsample,
)

__all__ = [
    "filtered_noise",
    "harmonic_synth",
    "oscillator_bank",
    "remove_above_nyquist",
    "sinusoid",
    "upsample",
]
