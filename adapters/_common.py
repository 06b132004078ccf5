"""Helpers shared by the pretrained-model HEAR modules (crepe, fcn, musicnn, pesto, ...).

Device selection, input conversion, evenly spaced timestamps, a differentiable 48 → 24 kHz
decimator, the one-line error raised when weights are missing, named-layer views
(:class:`LayerViews`), a user-given weight file (:func:`user_weight_file`) and the last steps of
every ``load_model`` (:func:`frozen_eval`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Self

import numpy as np
import torch

#: Environment variable that selects the device ("cpu", "cuda", "cuda:1", "mps", "auto").
DEVICE_ENV = "HEAR_PROBES_DEVICE"
#: Former opt-in to a model repository's own Python code: no longer read (``--trust-remote-code``
#: or ``load_model(..., trust_remote_code=True)``); only named in the error when still set.
TRUST_REMOTE_CODE_ENV = "HEAR_PROBES_TRUST_REMOTE_CODE"


class WeightsNotFoundError(RuntimeError):
    """Pretrained weights are neither installed nor downloadable; the message says what to get."""


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """Device for a model: the argument, else ``$HEAR_PROBES_DEVICE``, else "auto".

    "auto" picks CUDA when available, else the CPU (MPS only when asked for by name).
    """
    choice = str(device) if device is not None else os.environ.get(DEVICE_ENV, "auto")
    choice = choice.strip().lower() or "auto"
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(choice)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {choice!r} requested but CUDA is not available")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(f"device {choice!r} requested but MPS is not available")
    return dev


def env_flag(name: str) -> bool:
    """Whether an environment variable is set to a true value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def model_device(model: torch.nn.Module) -> torch.device:
    """Device of a module's first parameter or buffer (CPU when it has neither)."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def as_audio(audio, model: torch.nn.Module) -> torch.Tensor:
    """``audio`` as a float32 ``[n, samples]`` tensor on the model's device (graph kept)."""
    if isinstance(audio, np.ndarray):
        audio = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
    if not isinstance(audio, torch.Tensor):
        raise TypeError(f"audio must be a torch.Tensor or np.ndarray, got {type(audio).__name__}")
    if audio.ndim != 2:
        raise ValueError(f"audio must have shape [n_sounds, n_samples], got {tuple(audio.shape)}")
    return audio.to(device=model_device(model), dtype=torch.float32)


def timestamps_ms(
    n: int, n_frames: int, step_s: float, offset_s: float, device: torch.device
) -> torch.Tensor:
    """Evenly spaced frame times ``offset + k * step`` in ms, ``[n, n_frames]`` float32."""
    k = torch.arange(n_frames, dtype=torch.float64, device=device)
    ts = (offset_s + k * step_s) * 1000.0
    return ts.to(torch.float32).unsqueeze(0).expand(n, n_frames)


def batches(n: int, size: int) -> Iterator[slice]:
    """Consecutive slices of at most ``size`` items covering ``range(n)``."""
    size = max(1, int(size))
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


class HalfbandDecimator(torch.nn.Module):
    """Differentiable 2:1 decimation (48 kHz → 24 kHz) with a zero-phase FIR low-pass.

    Kaiser-windowed sinc (321 taps, beta 9, -6 dB point at 11.5 kHz): flat to about 11 kHz,
    about -90 dB from 12 kHz on. Applied by ``conv1d`` with stride 2 on the zero-padded
    signal, so output sample ``k`` is input time ``2k`` (no delay).
    """

    def __init__(self, taps: int = 321, cutoff_hz: float = 11500.0, rate_in: int = 48000) -> None:
        super().__init__()
        from scipy.signal import firwin

        h = firwin(taps, cutoff_hz, window=("kaiser", 9.0), fs=rate_in)
        self.register_buffer("kernel", torch.tensor(h, dtype=torch.float32).view(1, 1, -1))
        self.half = taps // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[n, samples]`` at 48 kHz → ``[n, ceil(samples / 2)]`` at 24 kHz."""
        y = torch.nn.functional.pad(x.unsqueeze(1), (self.half, self.half))
        return torch.nn.functional.conv1d(y, self.kernel.to(x.dtype), stride=2).squeeze(1)


def layer_index(layer: int | str, layer_ids: Sequence[int], layer_names: Sequence[str],
                model: str) -> int:
    """The layer id of ``layer``: an id of ``layer_ids`` or a name of ``layer_names``.

    Raises
    ------
    ValueError
        Neither (a bool is neither): one line listing every ``id (name)`` of ``model``.
    """
    if isinstance(layer, str) and layer in layer_names:
        layer = layer_ids[list(layer_names).index(layer)]
    if isinstance(layer, bool) or layer not in layer_ids:
        names = ", ".join(f"{k} ({n})" for k, n in zip(layer_ids, layer_names, strict=True))
        raise ValueError(f"{model} has no layer {layer!r}; valid layers: {names}")
    return int(layer)


class LayerViews:
    """Mixin for a HEAR model with named layers: :meth:`with_layer` views sharing the weights.

    The model sets ``name``, ``layer_ids``, ``layer_names``, ``layer_dims`` (parallel lists) and
    ``layer``, the id whose embeddings its HEAR functions return.
    """

    name: str
    layer: int
    layer_ids: list[int]
    layer_names: list[str]
    layer_dims: list[int]

    def with_layer(self, layer: int | str) -> Self:
        """A view sharing the weights whose embeddings are ``layer`` (id or name).

        Raises
        ------
        ValueError
            No such layer (one line listing the valid ones).
        """
        view = copy.copy(self)
        view.layer = layer_index(layer, self.layer_ids, self.layer_names, self.name)
        dim = self.layer_dims[list(self.layer_ids).index(view.layer)]
        view.scene_embedding_size = view.timestamp_embedding_size = dim
        return view


def user_weight_file(model_file_path: str, model: str, what: str = "checkpoint file"
                     ) -> tuple[Path, str, str]:
    """``(path, "file", sha256)`` of a weight file given by the user (``model_file_path``).

    Raises
    ------
    FileNotFoundError
        No such file (one line: ``"<model>: no <what> <path>"``).
    """
    from hear_probes.hashing import sha256_file

    path = Path(model_file_path)
    if not path.is_file():
        raise FileNotFoundError(f"{model}: no {what} {path}")
    return path, "file", sha256_file(path)


def frozen_eval(model: torch.nn.Module, layer: int | str | None = None,
                device: str | torch.device | None = None) -> torch.nn.Module:
    """The last steps of ``load_model``: the ``layer`` view, no gradients to the weights
    (they still reach the audio), on ``device`` (see :func:`resolve_device`), in eval mode."""
    if layer is not None:
        model = model.with_layer(layer)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(resolve_device(device)).eval()
