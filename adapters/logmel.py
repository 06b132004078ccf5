"""Log-mel spectrogram + fixed random projection (the idea of HEAR 2021's naive baseline).

At 44.1 kHz: 4096-sample Hann frames every 50 ms (2205 samples, frames centred: the
signal is zero-padded by 2048 samples on both sides), power spectrum, 256 Slaney mel bands
(0 Hz–Nyquist), ``log(mel + 1e-4)``, then a fixed random Gaussian projection to 4096 dims
(seed 0, scaled by 1/sqrt(256)). Scene embedding = mean over frames.

No weights: the projection is regenerated from its seed. Differentiable.
"""

from __future__ import annotations

import numpy as np
import torch
from hear_probes_adapters._common import as_audio

from hear_probes.dsp import mel_filterbank

ADAPTER_VERSION = "1"
SAMPLE_RATE = 44100
N_FFT = 4096
HOP = 2205  # 50 ms
N_MELS = 256
EMBEDDING_SIZE = 4096

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'logmel',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": EMBEDDING_SIZE,
        "timestamp_dim": EMBEDDING_SIZE,
        "requires": ('torch',),
        "description": 'log-mel (256 bands) + fixed random projection to 4096 (HEAR naive baseline idea)',
    },
)

LOG_EPS = 1e-4
SEED = 0


class LogMelProjection(torch.nn.Module):
    """Log-mel frames followed by a fixed random linear projection."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = EMBEDDING_SIZE
    timestamp_embedding_size = EMBEDDING_SIZE

    def __init__(self, seed: int = SEED) -> None:
        super().__init__()
        self.seed = int(seed)
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True))
        fb = mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS)
        self.register_buffer("mel_fb", torch.from_numpy(fb))
        rng = np.random.default_rng(self.seed)
        proj = (rng.standard_normal((N_MELS, EMBEDDING_SIZE)) / np.sqrt(N_MELS)).astype(np.float32)
        self.register_buffer("projection", torch.from_numpy(proj))
        self.weights_id = f"random-projection-seed{self.seed}"

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``[n, samples]`` → ``[n, T, 4096]``."""
        spec = torch.stft(
            audio,
            n_fft=N_FFT,
            hop_length=HOP,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        power = spec.real**2 + spec.imag**2  # [n, bins, T]
        mel = torch.einsum("mb,nbt->ntm", self.mel_fb, power)
        return torch.log(mel + LOG_EPS) @ self.projection


def load_model(model_file_path: str = "", seed: int = SEED) -> LogMelProjection:
    """Build the log-mel projection (no weights; ``model_file_path`` must be empty)."""
    if model_file_path:
        raise ValueError("the logmel representation has no weights: call load_model() without a path")
    return LogMelProjection(seed=seed).eval()


def get_timestamp_embeddings(audio, model: LogMelProjection):
    """Frame-wise embeddings and frame-centre times in ms (one frame every 50 ms)."""
    x = as_audio(audio, model)
    emb = model(x)
    n, t = emb.shape[0], emb.shape[1]
    ts = torch.arange(t, dtype=torch.float32, device=emb.device) * (HOP / SAMPLE_RATE * 1000.0)
    return emb, ts.unsqueeze(0).expand(n, t)


def get_scene_embeddings(audio, model: LogMelProjection) -> torch.Tensor:
    """Mean over frames of the timestamp embeddings, ``[n, 4096]``."""
    x = as_audio(audio, model)
    return model(x).mean(dim=1)
