"""Turn whatever a user calls a model into a loaded HEAR model the probes can run.

:func:`load` accepts a registry name (``"logmel"``), a Hugging Face id (``"hf:<repo>"``), a
dotted HEAR module path (``"module:pkg.mod"``), a HEAR module object (anything with
``load_model``, ``get_scene_embeddings`` and ``get_timestamp_embeddings``), a loaded model
with its HEAR functions (:class:`HearModel`), or a plain callable
``embed(audio, sample_rate) -> embeddings`` wrapped as a scene-only model (:class:`CallableModel`).
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hear_probes.api._internals import get
from hear_probes.errors import ModelResolutionError

__all__ = ["CallableModel", "HearModel", "load", "MODULE_PREFIX"]

#: ``"module:pkg.mod"`` names a HEAR module by its dotted path.
MODULE_PREFIX = "module:"
_HEAR_FUNCTIONS = ("get_scene_embeddings", "get_timestamp_embeddings")


@dataclass
class HearModel:
    """A loaded model with its HEAR functions (a HEAR module whose ``load_model`` already ran).

    Attributes
    ----------
    model : object
        The loaded model: ``sample_rate``, ``scene_embedding_size`` and
        ``timestamp_embedding_size`` attributes.
    get_scene_embeddings : callable
        ``get_scene_embeddings(audio, model) -> [n, scene_embedding_size]``.
    get_timestamp_embeddings : callable
        ``get_timestamp_embeddings(audio, model) -> ([n, T, d], [n, T])``.
    name : str
        Model id in results and the embedding cache.
    """

    model: Any
    get_scene_embeddings: Callable
    get_timestamp_embeddings: Callable
    name: str = "model"


class CallableModel:
    """A plain function ``embed(audio, sample_rate) -> embeddings`` as a scene-only HEAR model.

    ``audio`` is float32 ``[n_clips, n_samples]`` at ``sample_rate``; the result is
    ``[n_clips, dim]`` (numpy, or a tensor with ``.numpy()``), cast to float32.

    Parameters
    ----------
    fn : callable
        The embedding function.
    sample_rate : int
        The rate ``fn`` expects (one of the HEAR rates: 16000, 22050, 32000, 44100, 48000).
    name : str, optional
        Model id in results and the cache (default: the function's name).

    Notes
    -----
    The embedding cache is keyed by the function's code and constants and by its output on a
    fixed test signal, so that editing the function (or a value it closes over that changes
    its output) never reuses embeddings of the old one.
    """

    def __init__(self, fn: Callable, sample_rate: int, name: str | None = None):
        if not callable(fn):
            raise ModelResolutionError(f"model: {type(fn).__name__} is not callable")
        self.fn = fn
        self.sample_rate = int(sample_rate)
        self.name = name or getattr(fn, "__name__", None) or type(fn).__name__
        if self.name == "<lambda>":
            self.name = "lambda"
        test = self.embed(get("probe_signal")(self.sample_rate, n=2, seconds=1.0))
        if test.ndim != 2 or test.shape[0] != 2:
            raise ModelResolutionError(
                f"model {self.name!r}: embed(audio[2, {self.sample_rate}], {self.sample_rate}) "
                f"returned shape {test.shape}; expected [n_clips, dim] = (2, dim)")
        self.scene_embedding_size = self.timestamp_embedding_size = int(test.shape[1])
        self.weights_id = f"callable:{_code_hash(fn)}:{hashlib.sha256(test.tobytes()).hexdigest()[:16]}"

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """``fn(audio, sample_rate)`` as float32 numpy."""
        return np.asarray(get("to_numpy")(self.fn(audio, self.sample_rate)), dtype=np.float32)

    def module(self) -> types.ModuleType:
        """A HEAR module object around the function (scene embeddings only)."""
        mod = types.ModuleType(f"callable.{self.name}")
        mod.ADAPTER_VERSION = "callable"
        mod.load_model = lambda model_file_path="", **kw: self
        mod.get_scene_embeddings = lambda audio, model: model.embed(np.asarray(audio))

        def get_timestamp_embeddings(audio, model):
            raise NotImplementedError(f"{self.name}: a callable model gives scene embeddings only")

        mod.get_timestamp_embeddings = get_timestamp_embeddings
        return mod


def _code_hash(fn: Callable) -> str:
    """sha256 of a function's code, constants, defaults and closure values (16 hex digits)."""
    if isinstance(fn, (types.FunctionType, types.MethodType)):
        target = getattr(fn, "__func__", fn)
    else:  # an object with __call__: its class's method (its state shows in the fingerprint)
        target = type(fn).__call__
    code = getattr(target, "__code__", None)
    parts: list[str] = [getattr(fn, "__qualname__", type(fn).__qualname__)]
    if code is not None:
        parts += [code.co_code.hex(), repr(code.co_consts), repr(code.co_names)]
    parts.append(repr(getattr(target, "__defaults__", None)))
    for cell in getattr(target, "__closure__", None) or ():
        try:
            parts.append(repr(cell.cell_contents))
        except ValueError:  # an empty cell
            parts.append("<empty>")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _is_hear_module(obj: Any) -> bool:
    return callable(getattr(obj, "load_model", None)) and all(
        callable(getattr(obj, f, None)) for f in _HEAR_FUNCTIONS)


def _wrap(module: Any, model: Any, name: str, model_path: str = ""):
    """A LoadedModule of an already loaded ``model`` and its module object."""
    mod = module if isinstance(module, types.ModuleType) else _as_module(module, name)
    if get("model_framework")(model) == "torch":
        model.eval()
    return get("LoadedModule")(
        module=mod, model=model, model_id=name,
        weights_id=get("weights_identity")(model, model_path),
        adapter_version=get("adapter_version")(mod), options={}, model_path=model_path)


def _as_module(obj: Any, name: str) -> types.ModuleType:
    mod = types.ModuleType(getattr(obj, "__name__", None) or name)
    for attr in ("load_model", *_HEAR_FUNCTIONS, "ADAPTER_VERSION", "__version__"):
        if hasattr(obj, attr):
            setattr(mod, attr, getattr(obj, attr))
    return mod


def _load_module_object(obj: Any, model_path: str | None, name: str | None):
    dotted = getattr(obj, "__name__", None) or type(obj).__name__
    path = "" if model_path is None else str(model_path)
    try:
        model = obj.load_model(path) if path else obj.load_model()
    except Exception as exc:
        raise ModelResolutionError(
            f"{dotted}.load_model({path!r}) failed: {type(exc).__name__}: {exc}") from exc
    return _wrap(obj, model, name or dotted, path)


def load(model: Any, *, sample_rate: int | None = None, model_path: str | None = None,
         name: str | None = None) -> tuple[Any, bool]:
    """Load ``model`` for the probes.

    Parameters
    ----------
    model : str, module, HearModel or callable
        See the module docstring.
    sample_rate : int, optional
        Required for a plain callable: the rate it expects.
    model_path : str, optional
        ``model_file_path`` for ``load_model`` (registry names, modules).
    name : str, optional
        Model id in the results (default: the registry name, module or function name).

    Returns
    -------
    (LoadedModule, bool)
        The loaded model and whether it gives scene embeddings only (a callable).

    Raises
    ------
    ModelResolutionError
        Unknown name, a callable without ``sample_rate``, or anything else that is no model.
    """
    if isinstance(model, str):
        if model.startswith(MODULE_PREFIX):
            loaded = get("load_hear_module")(module=model[len(MODULE_PREFIX):], model_path=model_path)
        else:
            loaded = get("load_hear_module")(name=model, model_path=model_path)
        if name:
            loaded.model_id = name
        return loaded, False
    if isinstance(model, HearModel):
        fns = types.SimpleNamespace(get_scene_embeddings=model.get_scene_embeddings,
                                    get_timestamp_embeddings=model.get_timestamp_embeddings,
                                    load_model=lambda *a, **k: model.model)
        return _wrap(fns, model.model, name or model.name), False
    if _is_hear_module(model):
        return _load_module_object(model, model_path, name), False
    if callable(model):
        if sample_rate is None:
            raise ModelResolutionError(
                "a callable model needs sample_rate=: the rate at which it expects audio "
                "(e.g. hear_probes.evaluate(fn, sample_rate=16000))")
        wrapped = CallableModel(model, sample_rate, name)
        return _wrap(wrapped.module(), wrapped, wrapped.name), True
    raise ModelResolutionError(
        f"model: cannot use a {type(model).__name__}; give a registry name ('logmel'), "
        "'hf:<repo id>', 'module:pkg.mod', a HEAR module object, a HearModel or a callable "
        "embed(audio, sample_rate) -> embeddings with sample_rate=")
