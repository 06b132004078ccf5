"""Differentiable spectral audio distances: the base class and the spectral families.

The named catalogue (Turian & Henry 2020, Table 2, plus SOT) is in :mod:`.catalogue`.

Every distance is split in three: ``analyses()`` names the STFTs it needs (shared between
distances), ``features(spectra)`` maps the complex STFTs of a batch of signals to a tuple of
feature tensors, and ``between(ra, rb)`` returns the ``[b]`` distances between two such
representations. ``represent(x) = features([stft(x, a) for a in analyses()])`` and
``d(x, y) = between(represent(x), represent(y))``. Working from the (linear) complex STFT lets
the probe reuse one analysis for several distances, obtain a level change as a gain on the
STFT, and differentiate through the non-linear part only (see ``spectral.py``).

Conventions (chosen where the paper is silent; see ``docs/ranking.md``):

- 44.1 kHz, periodic Hann window, frames centred with reflect padding (torch / torchaudio default);
- ``frame_overlap = 0.75`` means ``hop = n_fft / 4``;
- ``l1`` is the sum of absolute differences over all time-frequency cells, ``l2`` the Euclidean
  norm of the differences; multi-scale distances sum the per-scale distances;
- Spectrogram features are magnitudes (``|STFT|``, as in the paper); Mel and MFCC use the power
  spectrogram (torchaudio's ``MelSpectrogram``/``MFCC`` default ``power=2``); MFCC takes
  ``10 log10`` of the mel power with ``amin = 1e-10`` and an 80 dB floor below each signal's
  peak (torchaudio ``MFCC`` defaults), then an unnormalised DCT-II (``norm=None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import torch

from hear_probes.probes.ranking.transforms import (
    Analysis,
    dct_matrix,
    magnitude,
    mel_filterbank,
    power_to_db,
    stft_complex,
)

__all__ = [
    "SpectralDistance",
    "Spectrogram",
    "MultiScaleSpectrogram",
    "MelDistance",
    "MFCCDistance",
    "SpectralCentroidDistance",
]

Features = tuple[torch.Tensor, ...]
MSS_SCALES = (2048, 1024, 512, 256, 128, 64)


def _hop(n_fft: int, overlap: float) -> int:
    """Hop size for a frame overlap fraction (0.75 -> n_fft / 4)."""
    return int(round(n_fft * (1 - overlap)))


def _reduce(diff: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-item ``l1`` (sum of |.|) or ``l2`` (Euclidean norm) of ``diff[b, ...]``."""
    flat = diff.flatten(1)
    if norm == "l1":
        return flat.abs().sum(dim=1)
    if norm == "l2":
        # sqrt with a tiny floor: finite gradient at identical inputs
        return (flat.square().sum(dim=1) + 1e-20).sqrt() - 1e-10
    raise ValueError(f"unknown norm {norm!r}; valid: 'l1', 'l2'")


class SpectralDistance:
    """Base class: ``d(x, y) = between(represent(x), represent(y))``, both ``[b, samples]``."""

    name: str = "distance"
    sample_rate: int = 44100
    #: whether d(x, y) == d(y, x)
    symmetric: bool = True

    def analyses(self) -> tuple[Analysis, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def features(self, spectra: Sequence[torch.Tensor]) -> Features:  # pragma: no cover
        raise NotImplementedError

    def represent(self, x: torch.Tensor) -> Features:
        """Features of signals ``x[b, samples]``."""
        return self.features([stft_complex(x, a) for a in self.analyses()])

    def between(self, ra: Features, rb: Features) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.between(self.represent(x), self.represent(y))

    def magnitude(self, r: Features) -> torch.Tensor:
        """``d(r, 0)``: the size of a representation, ``[b]``.

        ``magnitude(a) + magnitude(b)`` bounds ``d(a, b)`` (triangle inequality) and sets the
        scale of its rounding error, used to decide ties (``accuracy.TIE_RTOL``).
        """
        return self.between(r, tuple(torch.zeros_like(f) for f in r))

    def describe(self) -> dict:
        """Hyper-parameters, for the results file."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


@dataclass
class StftOptions:
    """The options :class:`Spectrogram` and :class:`MultiScaleSpectrogram` share, declared once.

    ``overlap`` of consecutive frames, the ``norm`` (``"l1"`` / ``"l2"``) of the difference,
    ``log`` magnitudes (``log(|STFT| + log_eps)``), the STFT ``scaling``, the magnitude
    ``power``, centred frames and the sample rate.
    """

    overlap: float = 0.75
    norm: str = "l1"
    log: bool = False
    log_eps: float = 1e-4
    scaling: str = "none"
    power: float = 1.0
    center: bool = True
    sample_rate: int = 44100

    def stft_options(self) -> dict:
        """These options as keyword arguments (to build one :class:`Spectrogram` per scale)."""
        return {f.name: getattr(self, f.name) for f in fields(StftOptions)}

    def describe(self) -> dict:
        """Hyper-parameters, for the results file: the distance's own (``name``, its FFT
        sizes), then these options, in the order of the results files written before."""
        shared = self.stft_options()
        own = {k: v for k, v in vars(self).items() if not k.startswith("_") and k not in shared}
        return {**own, **shared}


@dataclass
class Spectrogram(StftOptions, SpectralDistance):
    """``norm(|STFT x| - |STFT y|)`` or, with ``log=True``, of ``log(|STFT| + log_eps)``.

    ``scaling`` rescales the STFT before the magnitude: ``"none"`` (torch/torchaudio default),
    ``"sqrt"`` (``1 / sqrt(n_fft)``, torch ``normalized=True``) or ``"window"`` (``1 / sum(w)``,
    so a sine of amplitude ``A`` peaks at ``A / 2`` whatever ``n_fft``). Only ``"none"`` is used
    by the catalogue; the others serve the ablations of ``docs/ranking.md``. The other options
    are those of :class:`StftOptions`.
    """

    name: str = "spectrogram"
    n_fft: int = 2048

    def analyses(self) -> tuple[Analysis, ...]:
        return (Analysis(self.n_fft, _hop(self.n_fft, self.overlap), center=self.center),)

    def _gain(self) -> float:
        if self.scaling == "none":
            return 1.0
        if self.scaling == "sqrt":
            return self.n_fft ** -0.5
        if self.scaling == "window":
            return 2.0 / self.n_fft  # sum of a periodic Hann window is n_fft / 2
        raise ValueError(f"unknown scaling {self.scaling!r}; valid: 'none', 'sqrt', 'window'")

    def features(self, spectra: Sequence[torch.Tensor]) -> Features:
        s = magnitude(spectra[0], self.power)
        gain = self._gain() ** self.power
        if gain != 1.0:
            s = s * gain
        return (torch.log(s + self.log_eps),) if self.log else (s,)

    def between(self, ra: Features, rb: Features) -> torch.Tensor:
        return _reduce(ra[0] - rb[0], self.norm)


@dataclass
class MultiScaleSpectrogram(StftOptions, SpectralDistance):
    """Sum over ``n_ffts`` of :class:`Spectrogram` distances (MSS / log-MSS), each with the
    same :class:`StftOptions`."""

    name: str = "mss"
    n_ffts: tuple[int, ...] = MSS_SCALES

    def _scales(self) -> list[Spectrogram]:
        return [Spectrogram(n_fft=n, **self.stft_options()) for n in self.n_ffts]

    def analyses(self) -> tuple[Analysis, ...]:
        return tuple(s.analyses()[0] for s in self._scales())

    def features(self, spectra: Sequence[torch.Tensor]) -> Features:
        return tuple(s.features([x])[0] for s, x in zip(self._scales(), spectra, strict=True))

    def between(self, ra: Features, rb: Features) -> torch.Tensor:
        return sum(_reduce(a - b, self.norm) for a, b in zip(ra, rb, strict=True))


@dataclass
class MelDistance(SpectralDistance):
    """``l1`` between mel spectrograms (power spectrogram through a triangular filterbank)."""

    name: str = "mel"
    n_fft: int = 1024
    overlap: float = 0.5
    n_mels: int = 1024
    f_min: float = 30.0
    f_max: float = 4000.0
    power: float = 2.0
    center: bool = True
    mel_scale: str = "htk"
    norm: str = "l1"
    sample_rate: int = 44100
    _fb: torch.Tensor | None = field(default=None, repr=False)

    _bins: slice | None = field(default=None, repr=False)

    def filterbank(self) -> tuple[slice, torch.Tensor]:
        """Rows of the filterbank that are not all zero, and the FFT bins they cover."""
        if self._fb is None:
            fb = mel_filterbank(self.sample_rate, self.n_fft, self.n_mels, self.f_min,
                                self.f_max, scale=self.mel_scale)
            rows = torch.nonzero(fb.sum(dim=1) > 0).flatten()
            self._bins = slice(int(rows[0]), int(rows[-1]) + 1)
            self._fb = fb[self._bins].contiguous()
        return self._bins, self._fb

    def analyses(self) -> tuple[Analysis, ...]:
        return (Analysis(self.n_fft, _hop(self.n_fft, self.overlap), center=self.center),)

    def mel(self, spec: torch.Tensor) -> torch.Tensor:
        bins, fb = self.filterbank()  # bins outside every filter contribute nothing
        s = magnitude(spec[:, bins], self.power)  # [b, bins, frames]
        return torch.matmul(s.transpose(1, 2), fb.to(s.dtype))  # [b, frames, mels]

    def features(self, spectra: Sequence[torch.Tensor]) -> Features:
        return (self.mel(spectra[0]),)

    def between(self, ra: Features, rb: Features) -> torch.Tensor:
        return _reduce(ra[0] - rb[0], self.norm)


@dataclass
class MFCCDistance(MelDistance):
    """``l1`` between MFCCs: DCT-II of the mel power in dB (torchaudio ``MFCC`` recipe)."""

    name: str = "mfcc"
    n_mels: int = 128
    n_mfcc: int = 128
    dct_norm: str | None = None
    top_db: float | None = 80.0
    amin: float = 1e-10
    _dct: torch.Tensor | None = field(default=None, repr=False)

    def features(self, spectra: Sequence[torch.Tensor]) -> Features:
        if self._dct is None:
            self._dct = dct_matrix(self.n_mfcc, self.n_mels, norm=self.dct_norm)
        db = power_to_db(self.mel(spectra[0]), amin=self.amin, top_db=self.top_db)
        return (torch.matmul(db, self._dct.to(db.dtype)),)


@dataclass
class SpectralCentroidDistance(SpectralDistance):
    """``l1`` between frame-wise ``log2`` spectral centroids (in Hz) of ``|STFT| ** power``."""

    name: str = "log2-centroid"
    n_fft: int = 2048
    overlap: float = 0.75
    power: float = 1.0
    center: bool = True
    sample_rate: int = 44100

    def analyses(self) -> tuple[Analysis, ...]:
        return (Analysis(self.n_fft, _hop(self.n_fft, self.overlap), center=self.center),)

    def features(self, spectra: Sequence[torch.Tensor]) -> Features:
        s = magnitude(spectra[0], self.power)
        freqs = torch.linspace(0, self.sample_rate / 2, s.shape[1], dtype=s.dtype)
        centroid = (freqs.unsqueeze(-1) * s).sum(dim=1) / s.sum(dim=1).clamp_min(1e-20)
        return (torch.log2(centroid.clamp_min(1e-6)),)

    def between(self, ra: Features, rb: Features) -> torch.Tensor:
        return _reduce(ra[0] - rb[0], "l1")
