"""DDSP-style differentiable synthesizers in torch (Engel et al., 2020).

Three modules, each differentiable with respect to every continuous parameter:

- :func:`oscillator_bank` -- a bank of sinusoids with per-frame frequencies and amplitudes,
  upsampled to audio rate, phase obtained by cumulative summation of the instantaneous
  frequency (Engel et al. 2020, eqs. 1-2);
- :func:`harmonic_synth` -- fundamental frequency, total amplitude and a normalised harmonic
  distribution; partials at or above Nyquist are removed before normalisation (eqs. 3-4);
- :func:`filtered_noise` -- uniform noise filtered by a linear time-varying FIR filter whose
  magnitude response is given per frame by linearly spaced frequency bands.

Plus :func:`sinusoid`, the closed form of a constant-frequency oscillator,
``A cos(2 pi f t + phi)``, used for the stationary stimuli of the ranking probe.

Shapes: ``batch`` first, then ``frames`` (control rate) or ``samples`` (audio rate), then the
component axis (oscillators, harmonics, bands). Phases are accumulated in float64 so that a one
second tone keeps its frequency to better than 1e-6 relative error; the result is cast back to the
dtype of the amplitudes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "upsample",
    "oscillator_bank",
    "harmonic_synth",
    "filtered_noise",
    "sinusoid",
    "remove_above_nyquist",
]


def upsample(frames: torch.Tensor, n_samples: int, method: str = "linear") -> torch.Tensor:
    """Upsample control signals from frame rate to audio rate.

    Parameters
    ----------
    frames : Tensor
        ``[batch, n_frames, channels]`` control signal.
    n_samples : int
        Number of output samples.
    method : {"linear", "window"}
        ``"linear"``: linear interpolation with the first and last frames pinned to the first and
        last samples (used by DDSP for frequencies). ``"window"``: overlap-add of Hann windows of
        twice the hop size centred on each frame (used by DDSP for amplitudes).

    Returns
    -------
    Tensor
        ``[batch, n_samples, channels]``.
    """
    if frames.dim() != 3:
        raise ValueError(f"expected [batch, frames, channels], got shape {tuple(frames.shape)}")
    n_frames = frames.shape[1]
    if n_frames == n_samples:
        return frames
    if n_frames == 1:
        return frames.expand(-1, n_samples, -1)
    x = frames.transpose(1, 2)  # [b, c, frames]
    if method == "linear":
        y = F.interpolate(x, size=n_samples, mode="linear", align_corners=True)
        return y.transpose(1, 2)
    if method == "window":
        return _window_upsample(x, n_samples).transpose(1, 2)
    raise ValueError(f"unknown upsampling method {method!r}; valid: 'linear', 'window'")


def _window_upsample(x: torch.Tensor, n_samples: int) -> torch.Tensor:
    """Hann overlap-add upsampling of ``x[b, c, frames]`` to ``n_samples`` (DDSP style)."""
    b, c, n_frames = x.shape
    hop = (n_samples + n_frames - 2) // (n_frames - 1)  # ceil(n_samples / (n_frames - 1))
    win_len = 2 * hop
    window = torch.hann_window(win_len, periodic=True, dtype=x.dtype, device=x.device)
    # One window per frame, centred on frame k at sample k * hop.
    frames = x.reshape(b * c, n_frames, 1) * window  # [bc, frames, win]
    total = (n_frames + 1) * hop
    out = F.fold(
        frames.transpose(1, 2),
        output_size=(1, total),
        kernel_size=(1, win_len),
        stride=(1, hop),
    ).reshape(b, c, total)
    # Frame k is centred at k * hop + hop in the folded signal; drop the first half window.
    return out[..., hop : hop + n_samples]


def remove_above_nyquist(
    frequencies: torch.Tensor, amplitudes: torch.Tensor, sample_rate: float
) -> torch.Tensor:
    """Zero the amplitudes of components at or above the Nyquist frequency."""
    return amplitudes * (frequencies < sample_rate / 2).to(amplitudes.dtype)


def oscillator_bank(
    frequencies: torch.Tensor,
    amplitudes: torch.Tensor,
    sample_rate: float,
    n_samples: int | None = None,
    initial_phase: torch.Tensor | None = None,
    amplitude_upsampling: str = "window",
    remove_aliases: bool = True,
) -> torch.Tensor:
    """Sum of sinusoids with time-varying frequency and amplitude (Engel et al. 2020, eq. 1).

    ``x(n) = sum_k A_k(n) sin(phi_k(n))`` with ``phi_k(n) = phi_k(0) + 2 pi sum_{m<n} f_k(m)/sr``.
    The phase sum is exclusive, so a constant frequency gives exactly
    ``sin(2 pi f n / sr + phi_k(0))``.

    Parameters
    ----------
    frequencies : Tensor
        ``[batch, n_frames, K]`` frequencies in Hz (frame rate; linear upsampling).
    amplitudes : Tensor
        ``[batch, n_frames, K]`` linear amplitudes (frame rate; upsampled with
        ``amplitude_upsampling``).
    sample_rate : float
        Audio sample rate in Hz.
    n_samples : int, optional
        Output length; defaults to ``n_frames`` (frames already at audio rate).
    initial_phase : Tensor, optional
        ``[batch, K]`` phase in radians at sample 0 (default 0).
    amplitude_upsampling : {"window", "linear"}
        How amplitudes are brought to audio rate.
    remove_aliases : bool
        Silence components at or above Nyquist (per sample).

    Returns
    -------
    Tensor
        ``[batch, n_samples]`` audio in the dtype of ``amplitudes``.
    """
    if frequencies.shape != amplitudes.shape:
        raise ValueError(
            f"frequencies {tuple(frequencies.shape)} and amplitudes {tuple(amplitudes.shape)} differ"
        )
    n_samples = frequencies.shape[1] if n_samples is None else n_samples
    freq = upsample(frequencies, n_samples, "linear")
    amp = upsample(amplitudes, n_samples, amplitude_upsampling)
    if remove_aliases:
        amp = remove_above_nyquist(freq, amp, sample_rate)
    omega = freq.to(torch.float64) * (2 * math.pi / sample_rate)
    phase = torch.cumsum(omega, dim=1) - omega  # exclusive cumulative sum
    if initial_phase is not None:
        phase = phase + initial_phase.to(torch.float64).unsqueeze(1)
    phase = torch.remainder(phase, 2 * math.pi)
    return (amp * torch.sin(phase).to(amp.dtype)).sum(dim=-1)


def harmonic_synth(
    f0: torch.Tensor,
    amplitude: torch.Tensor,
    harmonic_distribution: torch.Tensor,
    sample_rate: float,
    n_samples: int | None = None,
    initial_phase: torch.Tensor | None = None,
    amplitude_upsampling: str = "window",
) -> torch.Tensor:
    """Harmonic oscillator (Engel et al. 2020, eqs. 3-4).

    Partial ``k`` (1-based) has frequency ``k f0`` and amplitude ``A c_k``; the distribution
    ``c`` is made non-negative by the caller, partials at or above Nyquist are removed and ``c`` is
    renormalised to sum to one over the remaining partials, frame by frame.

    Parameters
    ----------
    f0 : Tensor
        ``[batch, n_frames]`` fundamental frequency in Hz.
    amplitude : Tensor
        ``[batch, n_frames]`` total linear amplitude ``A``.
    harmonic_distribution : Tensor
        ``[batch, n_frames, K]`` non-negative weights of harmonics ``1..K``.
    sample_rate : float
        Audio sample rate in Hz.
    n_samples : int, optional
        Output length (defaults to ``n_frames``).
    initial_phase : Tensor, optional
        ``[batch, K]`` initial phases in radians.
    amplitude_upsampling : {"window", "linear"}
        How amplitudes are brought to audio rate.

    Returns
    -------
    Tensor
        ``[batch, n_samples]`` audio.
    """
    n_harm = harmonic_distribution.shape[-1]
    ratios = torch.arange(1, n_harm + 1, dtype=f0.dtype, device=f0.device)
    freqs = f0.unsqueeze(-1) * ratios  # [b, frames, K]
    dist = remove_above_nyquist(freqs, harmonic_distribution, sample_rate)
    dist = dist / dist.sum(dim=-1, keepdim=True).clamp_min(1e-12)
    amps = amplitude.unsqueeze(-1) * dist
    return oscillator_bank(
        freqs,
        amps,
        sample_rate,
        n_samples=n_samples,
        initial_phase=initial_phase,
        amplitude_upsampling=amplitude_upsampling,
        remove_aliases=True,
    )


def filtered_noise(
    magnitudes: torch.Tensor,
    n_samples: int,
    window_size: int = 257,
    generator: torch.Generator | None = None,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Uniform noise through a linear time-varying FIR filter (DDSP ``FilteredNoise``).

    Each frame's magnitude response (``n_bands`` linearly spaced bands from 0 Hz to Nyquist) is
    turned into a zero-phase impulse response, windowed with a Hann window of ``window_size``
    taps, made causal, and convolved with that frame's block of noise; blocks are overlap-added.

    Parameters
    ----------
    magnitudes : Tensor
        ``[batch, n_frames, n_bands]`` non-negative filter magnitudes.
    n_samples : int
        Output length; must be divisible by ``n_frames``.
    window_size : int
        Length of the FIR filters (odd).
    generator : torch.Generator, optional
        Source of the uniform noise in ``[-1, 1)`` (ignored when ``noise`` is given).
    noise : Tensor, optional
        ``[batch, n_samples]`` noise to filter instead of drawing it.

    Returns
    -------
    Tensor
        ``[batch, n_samples]`` filtered noise.
    """
    b, n_frames, n_bands = magnitudes.shape
    if n_samples % n_frames:
        raise ValueError(f"n_samples={n_samples} is not a multiple of n_frames={n_frames}")
    hop = n_samples // n_frames
    if noise is None:
        noise = torch.rand(
            b, n_samples, generator=generator, dtype=magnitudes.dtype, device=magnitudes.device
        )
        noise = noise * 2 - 1
    zero_phase = torch.complex(magnitudes, torch.zeros_like(magnitudes))
    ir = torch.fft.irfft(zero_phase)  # [b, frames, 2 (n_bands - 1)]
    ir_len = ir.shape[-1]
    ir = torch.roll(ir, shifts=ir_len // 2, dims=-1)  # centre
    window_size = min(window_size, ir_len)
    start = ir_len // 2 - window_size // 2
    ir = ir[..., start : start + window_size]
    ir = ir * torch.hann_window(window_size, periodic=False, dtype=ir.dtype, device=ir.device)
    blocks = noise.reshape(b, n_frames, hop)
    n_fft = 1 << (hop + window_size - 1 - 1).bit_length()
    out_blocks = torch.fft.irfft(
        torch.fft.rfft(blocks, n_fft) * torch.fft.rfft(ir, n_fft), n_fft
    )[..., : hop + window_size - 1]  # [b, frames, hop + win - 1]
    total = n_frames * hop + window_size - 1
    out = F.fold(
        out_blocks.transpose(1, 2),
        output_size=(1, total),
        kernel_size=(1, hop + window_size - 1),
        stride=(1, hop),
    ).reshape(b, total)
    delay = window_size // 2  # remove the group delay of the linear-phase filters
    return out[:, delay : delay + n_samples]


def sinusoid(
    frequency: torch.Tensor,
    amplitude: torch.Tensor,
    phase: torch.Tensor,
    sample_rate: float,
    n_samples: int,
    dtype: torch.dtype = torch.float32,
    phase_dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Stationary sinusoids ``A cos(2 pi f n / sr + phi)`` (Turian & Henry 2020, eq. 3).

    Closed form of :func:`oscillator_bank` for a constant frequency (``cos`` instead of ``sin``).
    Differentiable in every argument.

    Parameters
    ----------
    frequency, amplitude, phase : Tensor
        ``[batch]`` frequency in Hz, linear amplitude, initial phase in radians.
    sample_rate : float
        Audio sample rate in Hz.
    n_samples : int
        Length in samples.
    dtype : torch.dtype
        Output dtype.
    phase_dtype : torch.dtype
        Precision of the phase ramp. float64 (default) wraps the phase to ``[0, 2 pi)`` in double
        precision before the cosine (taken in ``dtype``): phase error about 1e-7 rad. float32 computes ``cos(w t + phi)`` naively in
        single precision (phase error up to ~1e-3 rad at 4 kHz after 1 s, a broadband noise
        floor); kept to study that choice.
    """
    if phase_dtype == torch.float32:
        t = torch.arange(n_samples, dtype=torch.float32, device=frequency.device) / sample_rate
        omega = (2 * math.pi) * frequency.to(torch.float32).unsqueeze(-1)
        arg = omega * t + phase.to(torch.float32).unsqueeze(-1)
        return amplitude.to(dtype).unsqueeze(-1) * torch.cos(arg).to(dtype)
    n = torch.arange(n_samples, dtype=torch.float64, device=frequency.device)
    ramp = frequency.to(torch.float64).unsqueeze(-1) * n * (2 * math.pi / sample_rate)
    arg = torch.remainder(ramp + phase.to(torch.float64).unsqueeze(-1), 2 * math.pi)
    # the wrapped phase is exact to ~1e-12 rad; its cosine only needs the output precision
    return amplitude.to(dtype).unsqueeze(-1) * torch.cos(arg.to(dtype))
