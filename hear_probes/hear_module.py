"""Import a HEAR module, load its model, and call it with numpy in and numpy out."""

from __future__ import annotations

import importlib
import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hear_probes.errors import ModelResolutionError
from hear_probes.hashing import hash_json, sha256_file, sha256_tree
from hear_probes.registry import get_spec


@dataclass
class LoadedModule:
    """A HEAR module with its loaded model and the identity that keys the cache.

    Attributes
    ----------
    module : module
        The imported HEAR module.
    model : object
        What ``module.load_model(...)`` returned.
    model_id : str
        Registry name (``stft``) or the dotted module path for ``--module``.
    weights_id : str
        Identity of the weights: the model's own ``weights_id`` attribute when it has one
        (hub id + revision), else the sha256 of ``model_path``; "" for weight-free models.
    adapter_version : str
        ``ADAPTER_VERSION`` / ``__version__`` of the module, or "unknown".
    options : dict
        Keyword arguments given to ``load_model``.
    model_path : str
        The ``model_file_path`` passed to ``load_model`` ("" for defaults).
    layer : int or None
        For a layer view (``--layers``, :mod:`hear_probes.layers`): the layer it embeds with.
    layer_group : LayerGroup or None
        The views of the same model that share one forward pass (:mod:`hear_probes.layers`).
    """

    module: types.ModuleType
    model: Any
    model_id: str
    weights_id: str
    adapter_version: str
    options: dict = field(default_factory=dict)
    model_path: str = ""
    layer: int | None = None
    layer_group: Any = field(default=None, repr=False, compare=False)

    @property
    def module_name(self) -> str:
        """Dotted path of the HEAR module."""
        return self.module.__name__

    @property
    def sample_rate(self) -> int:
        """Input sample rate of the model in Hz."""
        return int(self.model.sample_rate)

    @property
    def resample_method(self) -> str:
        """How audio is resampled for this model: its ``resample_method`` attribute, else
        the project default (see :data:`hear_probes.audio.RESAMPLE_METHODS`)."""
        from hear_probes.audio import DEFAULT_RESAMPLE_METHOD

        return str(getattr(self.model, "resample_method", DEFAULT_RESAMPLE_METHOD))

    @property
    def scene_embedding_size(self) -> int:
        """Size of the scene embeddings."""
        return int(self.model.scene_embedding_size)

    @property
    def timestamp_embedding_size(self) -> int:
        """Size of the timestamp embeddings (0 for a scene-only module)."""
        return int(getattr(self.model, "timestamp_embedding_size", 0)) if self.has_timestamps else 0

    @property
    def has_timestamps(self) -> bool:
        """Whether the module defines ``get_timestamp_embeddings`` (else it is scene-only:
        every probe that needs no timestamp embeddings accepts it)."""
        return callable(getattr(self.module, "get_timestamp_embeddings", None))

    @property
    def framework(self) -> str:
        """"torch", "tensorflow" or "other"."""
        return model_framework(self.model)

    def identity(self) -> dict:
        """Everything that determines the embeddings apart from the stimuli."""
        return {
            "model_id": self.model_id,
            "module": self.module_name,
            "weights_id": self.weights_id,
            "adapter_version": self.adapter_version,
            "options": self.options,
        }

    def key(self) -> str:
        """Config hash: sha256 of :meth:`identity`."""
        return hash_json(self.identity())

    def to_framework(self, audio: np.ndarray):
        """Convert a numpy ``[n, samples]`` batch to the module's tensor type."""
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        fw = self.framework
        if fw == "torch":
            import torch

            tensor = torch.from_numpy(audio)
            device = _torch_device(self.model)
            return tensor.to(device) if device is not None else tensor
        if fw == "tensorflow":
            import tensorflow as tf

            return tf.convert_to_tensor(audio)
        return audio

    def scene_embeddings(self, audio: np.ndarray) -> np.ndarray:
        """Scene embeddings of a numpy batch ``[n, samples]`` as float32 numpy ``[n, d]``."""
        x = self.to_framework(audio)
        if self.framework == "torch":
            import torch

            with torch.no_grad():
                out = self.module.get_scene_embeddings(x, self.model)
        else:
            out = self.module.get_scene_embeddings(x, self.model)
        return to_numpy(out)

    def timestamp_embeddings(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Timestamp embeddings ``[n, T, d]`` and timestamps ``[n, T]`` (ms) as numpy."""
        x = self.to_framework(audio)
        if self.framework == "torch":
            import torch

            with torch.no_grad():
                emb, ts = self.module.get_timestamp_embeddings(x, self.model)
        else:
            emb, ts = self.module.get_timestamp_embeddings(x, self.model)
        return to_numpy(emb), to_numpy(ts)

    def describe(self) -> dict:
        """JSON-ready description for result files."""
        return {**self.identity(), "sample_rate": self.sample_rate, "model_path": self.model_path}


def model_framework(model: Any) -> str:
    """Which framework a loaded model belongs to, without importing one that is not loaded."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return "torch"
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(model, tf.Module):
        return "tensorflow"
    return "other"


def _torch_device(model):
    try:
        return next(model.parameters()).device
    except StopIteration:
        try:
            return next(model.buffers()).device
        except StopIteration:
            return None


def to_numpy(x) -> np.ndarray:
    """Tensor (torch / tf) or array to numpy, detached, on the CPU."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    elif hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x)


def weights_identity(model: Any, model_path: str) -> str:
    """Identity of the weights: the model's ``weights_id`` or the sha256 of the path."""
    own = getattr(model, "weights_id", None)
    if own:
        return str(own)
    if not model_path:
        return ""
    p = Path(model_path)
    if p.is_file():
        return f"sha256:{sha256_file(p)}"
    if p.is_dir():
        return f"sha256-tree:{sha256_tree(p)}"
    return f"path:{model_path}"


def adapter_version(module: types.ModuleType) -> str:
    """``ADAPTER_VERSION`` or ``__version__`` of a module (or of its top-level package)."""
    for obj in (module, sys.modules.get(module.__name__.split(".")[0])):
        for attr in ("ADAPTER_VERSION", "__version__"):
            v = getattr(obj, attr, None)
            if v:
                return str(v)
    return "unknown"


def import_hear_module(dotted: str) -> types.ModuleType:
    """Import a HEAR module by dotted path, with a one-line error if that fails."""
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and not (dotted == missing or dotted.startswith(missing + ".")):
            # the module exists but imports a package that is not installed
            from hear_probes.registry import install_hint

            top = missing.split(".")[0]
            how = install_hint([top]) if top in ("torch", "transformers") else f"pip install {top}"
            raise ModelResolutionError(
                f"HEAR module {dotted!r} imports {missing!r}, which is not installed in this "
                f"Python ({sys.executable}); install it ({how}) and retry"
            ) from exc
        raise ModelResolutionError(
            f"cannot import HEAR module {dotted!r}: {exc}. Is it installed (pip install -e .) "
            "or on PYTHONPATH?"
        ) from exc
    except Exception as exc:
        raise ModelResolutionError(
            f"importing HEAR module {dotted!r} failed: {type(exc).__name__}: {exc}"
        ) from exc


def load_hear_module(
    name: str | None = None,
    module: str | None = None,
    model_path: str | os.PathLike | None = None,
    options: dict | None = None,
    runtime: dict | None = None,
) -> LoadedModule:
    """Resolve a built-in model name or a HEAR module path and load the model.

    Parameters
    ----------
    name : str, optional
        Built-in model name (``hear-probes models`` lists them).
    module : str, optional
        Dotted path of any HEAR module (exclusive with ``name``).
    model_path : path-like, optional
        Passed to ``load_model`` as ``model_file_path``.
    options : dict, optional
        Extra keyword arguments for ``load_model`` (merged over a built-in's own options).
    runtime : dict, optional
        Settings that do not change the embeddings, kept out of the cache identity:
        ``device`` ("cpu", "cuda", "cuda:1", "mps"; ``None``/"auto": the module's default)
        and ``trust_remote_code`` (bool). Each is passed to ``load_model`` when it takes
        that keyword; otherwise a torch model is moved to ``device`` after loading, and
        ``trust_remote_code`` is not needed.

    Returns
    -------
    LoadedModule

    Raises
    ------
    ModelResolutionError
        Unknown name, import failure, missing weight path or a failing ``load_model``.
    """
    dotted, model_id, opts, path = _resolve_source(name, module, model_path, options)
    mod = import_hear_module(dotted)
    if not hasattr(mod, "load_model"):
        raise ModelResolutionError(f"module {dotted!r} has no load_model(); it is not a HEAR module")
    extra, device = runtime_kwargs(mod.load_model, runtime)
    model = _call_load_model(mod, dotted, path, {**opts, **extra})
    if device is not None:
        model = _move_to(model, device, dotted)
    if model_framework(model) == "torch":
        model.eval()
    return LoadedModule(
        module=mod,
        model=model,
        model_id=model_id,
        weights_id=weights_identity(model, path),
        adapter_version=adapter_version(mod),
        options=opts,
        model_path=path,
    )


def _resolve_source(name: str | None, module: str | None, model_path: str | os.PathLike | None,
                    options: dict | None) -> tuple[str, str, dict, str]:
    """``(module path, model id, load_model options, model_file_path)`` of a model named by a
    registry ``name`` or a HEAR ``module`` path; each bad combination is a one-line error."""
    if (name is None) == (module is None):
        raise ModelResolutionError("give exactly one of --model NAME or --module pkg.module")
    spec = get_spec(name) if name is not None else None
    dotted, model_id = (spec.module, spec.name) if spec is not None else (str(module), str(module))
    opts = {**(spec.options if spec is not None else {}), **(options or {})}
    path = "" if model_path is None else str(model_path)
    if path and not Path(path).exists():
        raise ModelResolutionError(f"--model-path {path!r} does not exist")
    if spec is not None and spec.model_path:
        if path:
            raise ModelResolutionError(f"--model {name} names its weights itself; drop --model-path")
        path = spec.model_path  # hf:<id>: the id (or directory) is the model_file_path
    return dotted, model_id, opts, path


def runtime_kwargs(load_model, runtime: dict | None) -> tuple[dict, str | None]:
    """Split ``runtime`` into keywords ``load_model`` takes and a device to move to after.

    Returns
    -------
    tuple
        ``(kwargs, device)``: ``kwargs`` for ``load_model``; ``device`` when it was asked for
        but ``load_model`` takes no ``device`` keyword (``None`` otherwise).
    """
    import inspect

    wanted = {k: v for k, v in (runtime or {}).items() if v is not None and v is not False}
    if str(wanted.get("device", "")).strip().lower() == "auto":
        wanted.pop("device")
    try:
        params = inspect.signature(load_model).parameters
    except (TypeError, ValueError):  # a builtin or C function: pass nothing unasked
        params = {}
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {k: v for k, v in wanted.items() if takes_all or k in params}
    device = wanted.get("device") if "device" not in kwargs else None
    return kwargs, device


def _move_to(model: Any, device: str, dotted: str) -> Any:
    """Put a loaded model on ``device`` (torch models; the CPU is accepted for any model)."""
    if model_framework(model) == "torch":
        try:
            return model.to(device)
        except (RuntimeError, AssertionError, ValueError) as exc:
            raise ModelResolutionError(f"--device {device}: {dotted}'s model cannot move there "
                                       f"({type(exc).__name__}: {exc})") from exc
    if str(device).strip().lower() == "cpu":
        return model
    raise ModelResolutionError(
        f"--device {device}: {dotted}.load_model takes no device= and its model is not a torch "
        "module, so hear-probes cannot place it; drop --device or add a device keyword")


def _call_load_model(mod: types.ModuleType, dotted: str, path: str, kwargs: dict) -> Any:
    """``mod.load_model`` with the path only when given, any failure as one line."""
    try:
        if kwargs:
            return mod.load_model(path, **kwargs)
        return mod.load_model(path) if path else mod.load_model()
    except Exception as exc:
        raise ModelResolutionError(
            f"{dotted}.load_model({path!r}) failed: {type(exc).__name__}: {exc}"
        ) from exc
