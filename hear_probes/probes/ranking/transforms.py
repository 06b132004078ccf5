"""Time-frequency building blocks in torch: windows, STFT magnitude, mel filterbank, DCT.

Written from the formulas (no torchaudio); conventions follow torchaudio's defaults, which the
paper's Table 2 parameter names (``nmels``, ``nmfcc``, ``norm=None``) point to: centred frames
with reflect padding, periodic windows, unnormalised STFT, HTK mel scale without filter
normalisation, DCT-II without normalisation (``2 cos(pi k (n + 1/2) / N)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from hear_probes.dsp import mel_filterbank as dsp_mel_filterbank

__all__ = [
    "Analysis",
    "stft_complex",
    "hann_window",
    "flattop_window",
    "magnitude",
    "stft_magnitude",
    "mel_filterbank",
    "dct_matrix",
    "power_to_db",
]

# scipy.signal.windows.flattop coefficients
_FLATTOP = (0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368)


def hann_window(n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Periodic Hann window of length ``n``."""
    return torch.hann_window(n, periodic=True, dtype=dtype)


def flattop_window(n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Periodic flat-top window of length ``n`` (scipy's 5-term coefficients)."""
    k = torch.arange(n, dtype=torch.float64) * (2 * math.pi / n)
    w = sum(((-1) ** i) * a * torch.cos(i * k) for i, a in enumerate(_FLATTOP))
    return w.to(dtype)


WINDOWS = {"hann": hann_window, "flattop": flattop_window}


@dataclass(frozen=True)
class Analysis:
    """One STFT configuration: window size, hop, window function and frame centring.

    ``center=True``: frame ``t`` is centred on sample ``t * hop`` with reflect padding
    (``torch.stft`` / torchaudio default, ``1 + samples // hop`` frames); ``center=False``:
    frame ``t`` starts at sample ``t * hop``, no padding (``1 + (samples - n_fft) // hop``
    frames; ``torch.stft(center=False)`` as in the DDSP PyTorch port's ``MSSTFTLoss``).
    """

    n_fft: int
    hop_length: int
    window: str = "hann"
    center: bool = True


def stft_complex(x: torch.Tensor, analysis: Analysis, center: bool | None = None) -> torch.Tensor:
    """Complex STFT ``[batch, n_fft // 2 + 1, frames]`` (framing: ``analysis.center``).

    ``center`` overrides ``analysis.center`` when given.
    """
    center = analysis.center if center is None else center
    if not center and x.shape[-1] < analysis.n_fft:
        raise ValueError(
            f"signal of {x.shape[-1]} samples is shorter than one uncentred frame of "
            f"{analysis.n_fft}; use a longer stimulus or centred frames"
        )
    win = WINDOWS[analysis.window](analysis.n_fft, dtype=x.dtype).to(x.device)
    pad_mode = "reflect" if x.shape[-1] > analysis.n_fft // 2 else "constant"
    return torch.stft(
        x,
        n_fft=analysis.n_fft,
        hop_length=analysis.hop_length,
        window=win,
        center=center,
        pad_mode=pad_mode,
        return_complex=True,
    )


def magnitude(spec: torch.Tensor, power: float = 1.0) -> torch.Tensor:
    """``|X| ** power`` of a complex spectrogram (power 2 without the square root)."""
    if power == 2.0:
        return spec.real.square() + spec.imag.square()
    mag = spec.abs()
    return mag if power == 1.0 else mag.pow(power)


def stft_magnitude(
    x: torch.Tensor,
    n_fft: int,
    hop_length: int,
    window: str = "hann",
    power: float = 1.0,
    center: bool = True,
) -> torch.Tensor:
    """``|STFT(x)| ** power`` with frames centred (reflect padding).

    Parameters
    ----------
    x : Tensor
        ``[batch, samples]``.
    n_fft : int
        Window and FFT size.
    hop_length : int
        Hop in samples (``n_fft * (1 - overlap)``).
    window : {"hann", "flattop"}
        Window function.
    power : float
        Exponent of the magnitude (1: magnitude, 2: power).
    center : bool
        Centre frames on ``t * hop`` with reflect padding.

    Returns
    -------
    Tensor
        ``[batch, n_fft // 2 + 1, frames]``.
    """
    return magnitude(stft_complex(x, Analysis(n_fft, hop_length, window, center)), power)


def mel_filterbank(
    sample_rate: int,
    n_fft: int,
    n_mels: int,
    f_min: float,
    f_max: float,
    scale: str = "htk",
    norm: str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Triangular mel filterbank ``[n_fft // 2 + 1, n_mels]`` as a tensor.

    :func:`hear_probes.dsp.mel_filterbank` (computed in float64), transposed so that
    ``mel = power_frames @ fb``. ``scale`` is "htk" or "slaney"; ``norm="slaney"`` divides each
    filter by its bandwidth. Filters narrower than the bin spacing may be all zero (as in
    torchaudio and librosa).
    """
    if scale not in ("htk", "slaney"):
        raise ValueError(f"unknown mel scale {scale!r}; valid: 'htk', 'slaney'")
    fb = dsp_mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max, htk=scale == "htk",
                            norm=norm, dtype=np.float64)
    return torch.from_numpy(np.ascontiguousarray(fb.T)).to(dtype)


def dct_matrix(
    n_mfcc: int, n_mels: int, norm: str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """DCT-II matrix ``[n_mels, n_mfcc]`` (``mfcc = mel_db @ D``).

    ``norm=None``: ``D[n, k] = 2 cos(pi k (n + 1/2) / N)``; ``"ortho"``: orthonormal scaling.
    """
    n = torch.arange(n_mels, dtype=torch.float64)
    k = torch.arange(n_mfcc, dtype=torch.float64).unsqueeze(1)
    dct = torch.cos(math.pi / n_mels * (n + 0.5) * k)  # [n_mfcc, n_mels]
    if norm is None:
        dct = dct * 2.0
    elif norm == "ortho":
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct = dct * math.sqrt(2.0 / n_mels)
    else:
        raise ValueError(f"unknown DCT norm {norm!r}; valid: None, 'ortho'")
    return dct.t().contiguous().to(dtype)


def power_to_db(
    spec: torch.Tensor, amin: float = 1e-10, top_db: float | None = 80.0
) -> torch.Tensor:
    """``10 log10(max(S, amin))``, floored at ``max - top_db`` per item (first axis).

    The floor is taken per batch item (torchaudio takes it over the whole batch for 3-D input,
    which would make one signal's features depend on the others in the batch).
    """
    db = 10.0 * torch.log10(spec.clamp_min(amin))
    if top_db is not None:
        peak = db.flatten(1).amax(dim=1).view(-1, *([1] * (db.dim() - 1)))
        db = torch.maximum(db, peak - top_db)
    return db
