"""STFT magnitude representation as a HEAR module (no weights).

The STFT representation of Pascal & Lagrange (2024), as in the features they released:
magnitude STFT with a Hann window of 1024 samples, hop 512, 1024-point FFT (513 bins) of the
audio **resampled to 16 kHz** the way ``librosa.load(path, sr=16000)`` does (soxr "HQ",
output length ``ceil(n * 16000 / sr)``; see :data:`RESAMPLE_METHOD`), averaged over time for
the scene embedding. Frames are centred (the signal is zero-padded by ``n_fft // 2`` on both
sides, librosa's ``center=True`` with ``pad_mode="constant"``), so frame ``t`` is centred at
``t * hop / sample_rate`` seconds.

``load_model(sample_rate=44100)`` gives the variant on the 44.1 kHz files (registry name
``stft-44k``; this project's ``stft`` before issue 12), resampled with the project default.

Differentiable: when the input tensor requires grad, the embeddings keep the graph.
"""

from __future__ import annotations

import torch
from hear_probes_adapters._common import as_audio

ADAPTER_VERSION = "2"
#: Input rate of the released features (Pascal & Lagrange 2024): 16 kHz.
SAMPLE_RATE = 16000

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'stft',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 513,
        "timestamp_dim": 513,
        "requires": ('torch',),
        "description": 'magnitude STFT at 16 kHz (librosa-style soxr HQ resampling), Hann 1024, hop 512, time-averaged: the features released by Pascal & Lagrange (2024)',
    },
    {
        "name": 'stft-44k',
        "backend": 'torch',
        "sample_rate": 44100,
        "scene_dim": 513,
        "timestamp_dim": 513,
        "options": {'sample_rate': 44100},
        "requires": ('torch',),
        "description": "magnitude STFT of the 44.1 kHz audio, Hann 1024, hop 512, time-averaged (this project's stft before issue 12)",
    },
)

#: Resampling of the released features: ``librosa.load(sr=16000)`` (soxr HQ, librosa's length).
RESAMPLE_METHOD = "librosa_soxr_hq"
N_FFT = 1024
HOP = 512


class STFTModel(torch.nn.Module):
    """Magnitude STFT (Hann window, centred frames) with HEAR attributes."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = N_FFT // 2 + 1
    timestamp_embedding_size = N_FFT // 2 + 1

    def __init__(self, n_fft: int = N_FFT, hop: int = HOP, power: float = 1.0,
                 sample_rate: int = SAMPLE_RATE) -> None:
        super().__init__()
        self.sample_rate = int(sample_rate)
        #: How the probes resample audio for this model (see ``hear_probes.audio.resample``):
        #: librosa's default at 16 kHz (the released features), the project default otherwise.
        self.resample_method = RESAMPLE_METHOD if self.sample_rate == SAMPLE_RATE else "soxr_vhq"
        self.n_fft = int(n_fft)
        self.hop = int(hop)
        self.power = float(power)
        self.scene_embedding_size = self.timestamp_embedding_size = self.n_fft // 2 + 1
        self.register_buffer("window", torch.hann_window(self.n_fft, periodic=True))
        self.weights_id = ""

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``[n, samples]`` → magnitude frames ``[n, T, bins]``."""
        spec = torch.stft(
            audio,
            n_fft=self.n_fft,
            hop_length=self.hop,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        mag = spec.abs()
        if self.power != 1.0:
            mag = mag**self.power
        return mag.transpose(1, 2)


def load_model(model_file_path: str = "", power: float = 1.0,
               sample_rate: int = SAMPLE_RATE) -> STFTModel:
    """Build the STFT representation (it has no weights; ``model_file_path`` must be empty).

    Parameters
    ----------
    model_file_path : str
        Must be empty.
    power : float
        Exponent of the magnitude (1 = magnitude, the paper's).
    sample_rate : int
        Input rate: 16000 (default, the released features) or e.g. 44100 (``stft-44k``).
    """
    if model_file_path:
        raise ValueError("the stft representation has no weights: call load_model() without a path")
    if int(sample_rate) <= 0:
        raise ValueError(f"sample_rate must be positive, not {sample_rate}")
    return STFTModel(power=power, sample_rate=sample_rate).eval()


def get_timestamp_embeddings(audio, model: STFTModel):
    """Frame-wise magnitude spectra and their centre times in ms."""
    x = as_audio(audio, model)
    frames = model(x)
    n, t = frames.shape[0], frames.shape[1]
    ts = torch.arange(t, dtype=torch.float32, device=frames.device) * (model.hop / model.sample_rate * 1000.0)
    return frames, ts.unsqueeze(0).expand(n, t)


def get_scene_embeddings(audio, model: STFTModel) -> torch.Tensor:
    """Time-averaged magnitude spectrum, ``[n, 513]``."""
    x = as_audio(audio, model)
    return model(x).mean(dim=1)
