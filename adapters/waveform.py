"""Trivial baselines as a HEAR module: the raw waveform and a seeded random projection of it.

They set the floor against which a probe score is read. A GEAR kNN R² of 0.95 means little if
the samples themselves already give 0.95 (``docs/gear.md``).

* ``waveform``: the scene embedding is the first :data:`N_SAMPLES` samples at 16 kHz (1 s),
  zero-padded when the sound is shorter, truncated when it is longer. Euclidean distances
  between these vectors are distances between the signals themselves: no spectral analysis, no
  phase invariance, no time-shift invariance.
* ``random-projection``: that vector times a fixed Gaussian matrix ``G`` [:data:`N_SAMPLES`,
  :data:`PROJECTION_DIM`] with i.i.d. N(0, 1/``PROJECTION_DIM``) entries drawn with
  ``numpy.random.default_rng(PROJECTION_SEED)``: by Johnson–Lindenstrauss, distances are those
  of the waveform up to a small random distortion (the HEAR "naive" baseline also ends with a
  Gaussian random projection, of a log-mel spectrogram).

Timestamp embeddings are frames of :data:`FRAME` samples, hop :data:`HOP`, centred (zero
padding ``FRAME // 2`` on both sides), raw for ``waveform`` and projected by the first ``FRAME``
rows of ``G`` for ``random-projection``. No weights; differentiable (the graph is kept).
"""

from __future__ import annotations

import numpy as np
import torch
from hear_probes_adapters._common import as_audio

ADAPTER_VERSION = "1"
SAMPLE_RATE = 16000
#: Samples kept by the scene embedding (1 s at 16 kHz).
N_SAMPLES = 16000
#: Output size of the random projection.
PROJECTION_DIM = 512
#: Seed of the projection matrix.
PROJECTION_SEED = 0
#: Frame length and hop of the timestamp embeddings (samples).
FRAME = 1024
HOP = 512

#: The built-in models this module provides (read by :mod:`hear_probes.registry` with ``ast``).
BUILTIN_MODELS = (
    {
        "name": 'waveform',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": N_SAMPLES,
        "timestamp_dim": FRAME,
        "requires": ('torch',),
        "description": 'trivial baseline: the first 1 s of raw samples at 16 kHz (zero-padded), no analysis',
    },
    {
        "name": 'random-projection',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": PROJECTION_DIM,
        "timestamp_dim": PROJECTION_DIM,
        "options": {'projection_dim': PROJECTION_DIM},
        "requires": ('torch',),
        "description": 'trivial baseline: seeded 512-D Gaussian random projection of the waveform baseline (distances kept up to a small distortion)',
    },
)


def projection_matrix(n_in: int, n_out: int, seed: int = PROJECTION_SEED) -> np.ndarray:
    """The fixed Gaussian projection, float32 ``[n_in, n_out]``, entries N(0, 1/n_out).

    Parameters
    ----------
    n_in, n_out : int
        Input and output sizes.
    seed : int
        Seed of ``numpy.random.default_rng``.
    """
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n_in, n_out)) / np.sqrt(n_out)).astype(np.float32)


class WaveformModel(torch.nn.Module):
    """Raw samples (``projection_dim=0``) or their random projection, with HEAR attributes."""

    sample_rate = SAMPLE_RATE

    def __init__(self, n_samples: int = N_SAMPLES, projection_dim: int = 0,
                 seed: int = PROJECTION_SEED) -> None:
        super().__init__()
        if n_samples < FRAME:
            raise ValueError(f"n_samples must be >= {FRAME} (one frame), not {n_samples}")
        if projection_dim < 0:
            raise ValueError(f"projection_dim must be >= 0 (0 = no projection), not {projection_dim}")
        self.n_samples = int(n_samples)
        self.projection_dim = int(projection_dim)
        self.seed = int(seed)
        if self.projection_dim:
            g = torch.from_numpy(projection_matrix(self.n_samples, self.projection_dim, self.seed))
            self.register_buffer("projection", g)
            self.scene_embedding_size = self.timestamp_embedding_size = self.projection_dim
        else:
            self.projection = None
            self.scene_embedding_size, self.timestamp_embedding_size = self.n_samples, FRAME
        self.weights_id = f"gaussian-seed{self.seed}" if self.projection_dim else ""

    def fixed_length(self, audio: torch.Tensor) -> torch.Tensor:
        """``[n, samples]`` → the first ``n_samples`` samples, zero-padded, ``[n, n_samples]``."""
        x = audio[:, : self.n_samples]
        return torch.nn.functional.pad(x, (0, self.n_samples - x.shape[1]))

    def frames(self, audio: torch.Tensor) -> torch.Tensor:
        """Centred frames ``[n, T, FRAME]`` (projected: ``[n, T, projection_dim]``)."""
        x = torch.nn.functional.pad(audio, (FRAME // 2, FRAME // 2))
        frames = x.unfold(1, FRAME, HOP)
        return frames @ self.projection[:FRAME] if self.projection is not None else frames

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """Scene embeddings ``[n, scene_embedding_size]``."""
        x = self.fixed_length(audio)
        return x @ self.projection if self.projection is not None else x


def load_model(model_file_path: str = "", projection_dim: int = 0, n_samples: int = N_SAMPLES,
               seed: int = PROJECTION_SEED) -> WaveformModel:
    """Build the waveform baseline (``projection_dim=0``) or its random projection.

    Parameters
    ----------
    model_file_path : str
        Must be empty (no weights).
    projection_dim : int
        0: raw samples; otherwise the output size of the Gaussian projection.
    n_samples : int
        Samples kept by the scene embedding (at 16 kHz).
    seed : int
        Seed of the projection matrix.
    """
    if model_file_path:
        raise ValueError("the waveform baselines have no weights: call load_model() without a path")
    return WaveformModel(n_samples=n_samples, projection_dim=projection_dim, seed=seed).eval()


def get_timestamp_embeddings(audio, model: WaveformModel):
    """Centred frames (raw or projected) and their centre times in ms."""
    x = as_audio(audio, model)
    if x.shape[1] < HOP:
        raise ValueError(f"audio must have at least {HOP} samples, got {x.shape[1]}")
    frames = model.frames(x)
    n, t = frames.shape[0], frames.shape[1]
    ts = torch.arange(t, dtype=torch.float32, device=frames.device) * (HOP / SAMPLE_RATE * 1000.0)
    return frames, ts.unsqueeze(0).expand(n, t)


def get_scene_embeddings(audio, model: WaveformModel) -> torch.Tensor:
    """The first ``n_samples`` samples (zero-padded), raw or projected."""
    x = as_audio(audio, model)
    return model(x)
