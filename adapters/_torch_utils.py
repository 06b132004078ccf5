"""Helpers shared by the built-in torch HEAR modules."""

from __future__ import annotations

import numpy as np
import torch


def as_audio_tensor(audio, model: torch.nn.Module) -> torch.Tensor:
    """Return ``audio`` as a float32 ``[n, samples]`` tensor on the model's device.

    Accepts numpy arrays or tensors; keeps the autograd graph of a tensor input.
    """
    if isinstance(audio, np.ndarray):
        audio = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
    if not isinstance(audio, torch.Tensor):
        raise TypeError(f"audio must be a torch.Tensor or np.ndarray, got {type(audio).__name__}")
    if audio.ndim != 2:
        raise ValueError(f"audio must have shape [n_sounds, n_samples], got {tuple(audio.shape)}")
    device = next((b.device for b in model.buffers()), torch.device("cpu"))
    return audio.to(device=device, dtype=torch.float32)
