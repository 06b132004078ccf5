"""STFT magnitude representation as a HEAR module (no weights).

The STFT representation of Pascal & Lagrange (2024): magnitude STFT with a Hann window of
1024 samples, hop 512, 1024-point FFT (513 bins) at 44.1 kHz, averaged over time for the
scene embedding. Frames are centred (the signal is zero-padded by ``n_fft // 2`` on both
sides, librosa's ``center=True`` with ``pad_mode="constant"``), so frame ``t`` is centred at
``t * hop / sample_rate`` seconds.

Differentiable: when the input tensor requires grad, the embeddings keep the graph.
"""

from __future__ import annotations

import torch
from hear_probes_adapters._common import as_audio

ADAPTER_VERSION = "1"
SAMPLE_RATE = 44100
N_FFT = 1024
HOP = 512


class STFTModel(torch.nn.Module):
    """Magnitude STFT (Hann window, centred frames) with HEAR attributes."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = N_FFT // 2 + 1
    timestamp_embedding_size = N_FFT // 2 + 1

    def __init__(self, n_fft: int = N_FFT, hop: int = HOP, power: float = 1.0) -> None:
        super().__init__()
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


def load_model(model_file_path: str = "", power: float = 1.0) -> STFTModel:
    """Build the STFT representation (it has no weights; ``model_file_path`` must be empty)."""
    if model_file_path:
        raise ValueError("the stft representation has no weights: call load_model() without a path")
    return STFTModel(power=power).eval()


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
