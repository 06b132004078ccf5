"""DDSP-style synthesizers: frequency and level accuracy, Nyquist handling, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hear_probes.synth import (
    filtered_noise,
    harmonic_synth,
    oscillator_bank,
    sinusoid,
    upsample,
)

SR = 16000


def _peak_hz(x: np.ndarray, sr: int = SR) -> float:
    """Frequency of the largest spectral peak, refined by parabolic interpolation."""
    n = len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(n), 8 * n))
    k = int(np.argmax(spec))
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-30)
    k = k + 0.5 * (a - c) / (a - 2 * b + c)
    return k * sr / (8 * n)


def test_oscillator_bank_constant_matches_closed_form():
    f = torch.full((2, 10, 1), 440.0)
    a = torch.full((2, 10, 1), 0.5)
    x = oscillator_bank(f, a, SR, SR)
    y = sinusoid(torch.full((2,), 440.0), torch.full((2,), 0.5), torch.full((2,), -math.pi / 2),
                 SR, SR)
    assert torch.allclose(x, y, atol=1e-5)


@pytest.mark.parametrize("freq", [31.0, 346.0, 3999.0])
def test_frequency_and_level_accuracy(freq):
    x = oscillator_bank(torch.full((1, 20, 1), freq), torch.full((1, 20, 1), 0.25), SR, SR)[0]
    assert abs(_peak_hz(x.numpy()) - freq) < 0.05
    rms = float(x.square().mean().sqrt())
    assert rms == pytest.approx(0.25 / math.sqrt(2), rel=1e-3)


def test_frequency_glide_and_window_upsampling():
    frames = torch.tensor([[[100.0], [200.0]]])
    up = upsample(frames, 101, "linear")
    assert up[0, 0, 0] == 100 and up[0, -1, 0] == 200 and up[0, 50, 0] == pytest.approx(150)
    amp = upsample(torch.ones(1, 5, 2), 400, "window")
    assert torch.allclose(amp, torch.ones_like(amp), atol=1e-6)  # Hann windows sum to one


def test_harmonic_synth_partials_and_nyquist():
    f0 = torch.full((1, 10), 3000.0)
    dist = torch.ones(1, 10, 5)  # harmonics 3, 6, 9, 12, 15 kHz; only 3 and 6 below 8 kHz
    x = harmonic_synth(f0, torch.ones(1, 10), dist, SR, SR)[0].numpy()
    spec = np.abs(np.fft.rfft(x)) / (SR / 2)
    assert spec[3000] == pytest.approx(0.5, abs=1e-3)
    assert spec[6000] == pytest.approx(0.5, abs=1e-3)
    others = np.delete(spec, [3000, 6000])
    assert others.max() < 1e-3


def test_filtered_noise_shapes_spectrum():
    gen = torch.Generator().manual_seed(0)
    flat = filtered_noise(torch.ones(1, 10, 65), SR, generator=gen)
    assert flat.shape == (1, SR)
    assert float(flat.std()) == pytest.approx(1 / math.sqrt(3), rel=0.05)
    mags = torch.zeros(1, 10, 65)
    mags[..., :16] = 1.0  # low-pass at a quarter of Nyquist (2 kHz)
    low = filtered_noise(mags, SR, generator=torch.Generator().manual_seed(0))[0].numpy()
    spec = np.abs(np.fft.rfft(low)) ** 2
    assert spec[:1800].sum() > 50 * spec[2400:].sum()


def test_gradients_reach_every_parameter():
    f = torch.full((1, 8, 2), 300.0, requires_grad=True)
    a = torch.full((1, 8, 2), 0.3, requires_grad=True)
    ph = torch.zeros(1, 2, requires_grad=True)
    x = oscillator_bank(f, a, SR, 800, initial_phase=ph)
    (x * torch.linspace(0, 1, 800)).sum().backward()
    for t in (f, a, ph):
        assert t.grad is not None and torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0

    f0 = torch.full((1, 4), 200.0, requires_grad=True)
    amp = torch.ones(1, 4, requires_grad=True)
    dist = torch.rand(1, 4, 6, requires_grad=True)
    harmonic_synth(f0, amp, dist, SR, 800).pow(2).mean().backward()
    for t in (f0, amp, dist):
        assert t.grad is not None and torch.isfinite(t.grad).all()

    mags = torch.rand(1, 4, 9, requires_grad=True)
    filtered_noise(mags, 800, generator=torch.Generator().manual_seed(1)).pow(2).sum().backward()
    assert torch.isfinite(mags.grad).all() and mags.grad.abs().sum() > 0

    freq = torch.tensor([440.0], requires_grad=True)
    sinusoid(freq, torch.tensor([1.0]), torch.tensor([0.0]), SR, 400).sum().backward()
    assert torch.isfinite(freq.grad).all()
