"""Small DSP helpers shared by the built-in representations (no librosa dependency)."""

from __future__ import annotations

import numpy as np


def hz_to_mel(f: np.ndarray | float, htk: bool = False) -> np.ndarray:
    """Hertz to mel (Slaney's auditory-toolbox scale by default, HTK's with ``htk=True``)."""
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    linear = f / f_sp
    log_part = min_log_mel + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep
    return np.where(f >= min_log_hz, log_part, linear)


def mel_to_hz(m: np.ndarray | float, htk: bool = False) -> np.ndarray:
    """Mel to hertz (inverse of :func:`hz_to_mel`)."""
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(
    sample_rate: int,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: str | None = "slaney",
    dtype: type = np.float32,
) -> np.ndarray:
    """Triangular mel filterbank, ``[n_mels, n_fft // 2 + 1]`` (librosa's convention).

    Parameters
    ----------
    sample_rate : int
        Sample rate in Hz.
    n_fft : int
        FFT size.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Band edges in Hz (``fmax`` defaults to Nyquist).
    htk : bool
        HTK mel formula instead of Slaney's.
    norm : {"slaney", None}
        "slaney" divides each triangle by its width (constant energy per band).
    dtype : numpy dtype
        Output dtype (computed in float64).
    """
    fmax = sample_rate / 2.0 if fmax is None else float(fmax)
    fft_freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    mel_pts = np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2)
    hz_pts = mel_to_hz(mel_pts, htk)
    fdiff = np.diff(hz_pts)
    ramps = hz_pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    if norm == "slaney":
        weights *= (2.0 / (hz_pts[2 : n_mels + 2] - hz_pts[:n_mels]))[:, None]
    elif norm is not None:
        raise ValueError(f"norm must be 'slaney' or None, got {norm!r}")
    return weights.astype(dtype)


def frame_centres_ms(n_frames: int, hop: int, sample_rate: int, offset_samples: float = 0.0) -> np.ndarray:
    """Timestamps (ms) of frame centres for frames starting every ``hop`` samples."""
    return ((np.arange(n_frames) * hop + offset_samples) / sample_rate * 1000.0).astype(np.float32)
