"""Shared framing for wav2vec2-style models (conv feature encoder + transformer).

The conv encoder of wav2vec 2.0 / HuBERT / MERT has a receptive field ``R`` and a stride
``S`` (400 and 320 samples); frame ``i`` covers input samples ``[i S, i S + R)`` and its
centre is ``(i S + R / 2) / rate``. A clip of ``L >= R`` samples has ``(L - R) // S + 1``
frames (shorter clips are zero-padded to ``R``: one frame).

Long audio is cut into chunks of ``C`` frames that overlap by ``R - S`` samples, so frames
stay on one grid (evenly spaced timestamps) and each chunk sees ``C S + R - S`` samples;
chunks are evaluated ``batch_size`` rows at a time and only one chunk's activations are held.
The waveform is normalised over the whole clip (zero mean, unit variance, ``+1e-7`` as in
``Wav2Vec2FeatureExtractor``) before chunking, in torch (differentiable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from hear_probes_adapters._common import batches


def conv_geometry(kernels, strides) -> tuple[int, int]:
    """Receptive field and total stride (in samples) of a stack of 1-D convolutions."""
    field, jump = 1, 1
    for k, s in zip(kernels, strides, strict=True):
        field += (int(k) - 1) * jump
        jump *= int(s)
    return field, jump


def normalise(x: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Zero mean, unit variance per row (``Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm``)."""
    mean = x.mean(dim=-1, keepdim=True)
    var = (x - mean).pow(2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def n_frames(n_samples: int, field: int, stride: int) -> int:
    """Frames of the conv encoder for a clip (at least 1: short clips are padded)."""
    return max(1, (max(n_samples, field) - field) // stride + 1)


def iter_chunks(x: torch.Tensor, field: int, stride: int, chunk_frames: int) -> Iterator[torch.Tensor]:
    """Overlapping chunks ``[n, <= chunk_frames * S + R - S]`` on one frame grid."""
    if x.shape[-1] < field:
        x = F.pad(x, (0, field - x.shape[-1]))
    total = n_frames(x.shape[-1], field, stride)
    for first in range(0, total, chunk_frames):
        start = first * stride
        yield x[:, start : start + chunk_frames * stride + field - stride]


def run_chunked(
    x: torch.Tensor,
    encode: Callable[[torch.Tensor], torch.Tensor],
    field: int,
    stride: int,
    chunk_frames: int,
    batch_size: int,
    reduce_mean: bool,
) -> torch.Tensor:
    """Apply ``encode`` (``[b, samples]`` → ``[b, T, d]``) over chunks and row batches.

    Returns ``[n, T, d]`` or, with ``reduce_mean``, the mean over frames ``[n, d]`` kept as a
    running sum (bounded memory for long clips).
    """
    n = x.shape[0]
    parts: list[torch.Tensor] = []
    total: torch.Tensor | None = None
    count = 0
    for chunk in iter_chunks(x, field, stride, chunk_frames):
        out = torch.cat([encode(chunk[s]) for s in batches(n, batch_size)], dim=0)
        if reduce_mean:
            total = out.sum(dim=1) if total is None else total + out.sum(dim=1)
            count += out.shape[1]
        else:
            parts.append(out)
    if reduce_mean:
        return total / count
    return torch.cat(parts, dim=1)
