"""HEAR API contract checks, run before any probe uses a module.

Each check raises :class:`~hear_probes.errors.ContractError` with one line naming the
module and the rule broken. :func:`check_module` runs them all on a small deterministic
test signal; :func:`run_hearvalidator` runs the official ``hearvalidator`` when installed.
"""

from __future__ import annotations

import importlib.util
import numbers
from dataclasses import dataclass

import numpy as np

from hear_probes.errors import ContractError
from hear_probes.hear_module import LoadedModule

#: Sample rates a HEAR module may declare.
ALLOWED_SAMPLE_RATES = (16000, 22050, 32000, 44100, 48000)
#: Largest relative deviation of a timestamp step from the mean step.
TIMESTAMP_TOLERANCE = 1e-3


@dataclass
class ContractReport:
    """What :func:`check_module` verified."""

    module: str
    sample_rate: int
    scene_embedding_size: int
    timestamp_embedding_size: int
    n_frames: int
    timestamp_step_ms: float | None

    def summary(self) -> str:
        """One line for the CLI."""
        if self.n_frames == 0 and self.timestamp_embedding_size == 0:
            return (f"{self.module}: OK, scene-only (sample_rate={self.sample_rate}, "
                    f"scene={self.scene_embedding_size}; no get_timestamp_embeddings: probes "
                    "that need timestamp embeddings will refuse it)")
        step = "n/a" if self.timestamp_step_ms is None else f"{self.timestamp_step_ms:.2f} ms"
        return (
            f"{self.module}: OK (sample_rate={self.sample_rate}, scene={self.scene_embedding_size}, "
            f"timestamp={self.timestamp_embedding_size}, {self.n_frames} frames for 1 s of audio, step {step})"
        )


def _fail(module: str, rule: str, detail: str) -> ContractError:
    return ContractError(f"module {module!r} breaks the HEAR contract [{rule}]: {detail}")


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def check_attributes(loaded: LoadedModule) -> None:
    """Functions and model attributes exist, with valid values."""
    name = loaded.module_name
    for fn in ("load_model", "get_scene_embeddings"):
        if not callable(getattr(loaded.module, fn, None)):
            raise _fail(name, "api", f"function {fn}() is missing")
    model = loaded.model
    # scene-only mode: a module without get_timestamp_embeddings needs no timestamp size
    sizes = ("scene_embedding_size", "timestamp_embedding_size") if loaded.has_timestamps \
        else ("scene_embedding_size",)
    for attr in ("sample_rate", *sizes):
        if not hasattr(model, attr):
            raise _fail(name, "attributes", f"model has no attribute {attr!r}")
    sr = model.sample_rate
    if not _is_int(sr) or int(sr) not in ALLOWED_SAMPLE_RATES:
        raise _fail(name, "sample_rate", f"{sr!r} is not one of {ALLOWED_SAMPLE_RATES}")
    for attr in sizes:
        v = getattr(model, attr)
        if not _is_int(v) or int(v) <= 0:
            raise _fail(name, attr, f"{v!r} is not a positive integer")


def check_scene_output(loaded: LoadedModule, out, n: int) -> np.ndarray:
    """Scene embeddings are float32 ``[n, scene_embedding_size]`` and finite."""
    from hear_probes.hear_module import to_numpy

    name = loaded.module_name
    arr = to_numpy(out)
    d = loaded.scene_embedding_size
    if arr.ndim != 2 or arr.shape != (n, d):
        raise _fail(name, "scene shape", f"got {arr.shape}, expected ({n}, {d}) = [n_sounds, scene_embedding_size]")
    if arr.dtype != np.float32:
        raise _fail(name, "scene dtype", f"got {arr.dtype}, expected float32")
    if not np.all(np.isfinite(arr)):
        raise _fail(name, "scene finite", f"{int(np.count_nonzero(~np.isfinite(arr)))} NaN/inf values")
    return arr


def check_timestamp_output(loaded: LoadedModule, out, n: int) -> tuple[int, float | None]:
    """Timestamp embeddings ``[n, T, d]`` float32 finite; timestamps ``[n, T]`` ms, evenly spaced."""
    from hear_probes.hear_module import to_numpy

    name = loaded.module_name
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _fail(name, "timestamp output", "get_timestamp_embeddings must return (embeddings, timestamps)")
    emb, ts = to_numpy(out[0]), to_numpy(out[1])
    d = loaded.timestamp_embedding_size
    if emb.ndim != 3 or emb.shape[0] != n or emb.shape[2] != d or emb.shape[1] < 1:
        raise _fail(name, "timestamp shape", f"embeddings {emb.shape}, expected ({n}, T>=1, {d})")
    if emb.dtype != np.float32:
        raise _fail(name, "timestamp dtype", f"embeddings are {emb.dtype}, expected float32")
    if not np.all(np.isfinite(emb)):
        raise _fail(name, "timestamp finite", "embeddings hold NaN/inf values")
    if ts.shape != emb.shape[:2]:
        raise _fail(name, "timestamps shape", f"got {ts.shape}, expected {emb.shape[:2]} = [n_sounds, T]")
    if not np.all(np.isfinite(ts)):
        raise _fail(name, "timestamps finite", "timestamps hold NaN/inf")
    step = None
    if ts.shape[1] >= 2:
        diffs = np.diff(ts.astype(np.float64), axis=1)
        step = float(diffs.mean())
        if step <= 0:
            raise _fail(name, "timestamps order", "timestamps must increase (they are in milliseconds)")
        if np.max(np.abs(diffs - step)) > TIMESTAMP_TOLERANCE * step + 1e-3:
            raise _fail(name, "timestamps spacing", f"steps range {diffs.min():.3f}–{diffs.max():.3f} ms; must be evenly spaced")
    return int(emb.shape[1]), step


def check_layer_outputs(loaded: LoadedModule, audio: np.ndarray) -> None:
    """For a layered module (``--layers``, docs/layers.md): every layer's scene embeddings
    have the declared size and are finite, so that ``--layers all`` cannot fail later."""
    from hear_probes.hear_module import to_numpy

    model, name = loaded.model, loaded.module_name
    fn = getattr(loaded.module, "get_layer_scene_embeddings", None)
    if fn is None or not hasattr(model, "layer_ids") or not hasattr(model, "with_layer"):
        return
    ids = list(model.layer_ids)
    dims = list(getattr(model, "layer_dims", [None] * len(ids)))
    try:
        if loaded.framework == "torch":
            import torch

            with torch.no_grad():
                outs = fn(loaded.to_framework(audio), model)
        else:
            outs = fn(loaded.to_framework(audio), model)
    except Exception as exc:
        raise _fail(name, "layer call", f"get_layer_scene_embeddings raised {type(exc).__name__}: {exc}") from exc
    if len(outs) != len(ids):
        raise _fail(name, "layer count", f"get_layer_scene_embeddings returned {len(outs)} layers; "
                    f"layer_ids has {len(ids)}")
    for k, out, d in zip(ids, outs, dims, strict=True):
        arr = to_numpy(out)
        want = (audio.shape[0], d) if d is not None else None
        if arr.ndim != 2 or arr.shape[0] != audio.shape[0] or (want and arr.shape != want):
            raise _fail(name, "layer shape", f"layer {k}: got {arr.shape}, expected {want or '[n, d]'}")
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        if bad:
            raise _fail(name, "layer finite", f"layer {k}: {bad} of {arr.size} values are NaN/inf")


def probe_signal(sample_rate: int, n: int = 2, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """Deterministic test batch: a 440 Hz tone and low-level noise, ``[n, samples]`` float32."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    rng = np.random.default_rng(seed)
    rows = [0.5 * np.sin(2 * np.pi * 440.0 * t * (1 + k)) + 0.01 * rng.standard_normal(t.size) for k in range(n)]
    return np.stack(rows).astype(np.float32)


def check_module(loaded: LoadedModule, n: int = 2, seconds: float = 1.0,
                 layers: bool = False) -> ContractReport:
    """Run every contract check on a 1-s test batch.

    ``layers=True`` (``hear-probes validate``) also checks every layer of a layered module
    (:func:`check_layer_outputs`, one more forward pass).

    Raises
    ------
    ContractError
        On the first broken rule, naming the module and the rule.
    """
    check_attributes(loaded)
    audio = probe_signal(loaded.sample_rate, n=n, seconds=seconds)
    name = loaded.module_name
    try:
        scene = loaded.module.get_scene_embeddings(loaded.to_framework(audio), loaded.model)
    except Exception as exc:
        raise _fail(name, "scene call", f"get_scene_embeddings raised {type(exc).__name__}: {exc}") from exc
    check_scene_output(loaded, scene, n)
    n_frames, step = 0, None
    if loaded.has_timestamps:
        try:
            stamped = loaded.module.get_timestamp_embeddings(loaded.to_framework(audio), loaded.model)
        except Exception as exc:
            raise _fail(name, "timestamp call", f"get_timestamp_embeddings raised {type(exc).__name__}: {exc}") from exc
        n_frames, step = check_timestamp_output(loaded, stamped, n)
    if layers:
        check_layer_outputs(loaded, audio)
    return ContractReport(
        module=name,
        sample_rate=loaded.sample_rate,
        scene_embedding_size=loaded.scene_embedding_size,
        timestamp_embedding_size=loaded.timestamp_embedding_size,
        n_frames=n_frames,
        timestamp_step_ms=step,
    )


def hearvalidator_available() -> bool:
    """Whether the official ``hearvalidator`` (and the tensorflow it imports) is installed."""
    return importlib.util.find_spec("hearvalidator") is not None and importlib.util.find_spec("tensorflow") is not None


def run_hearvalidator(module_name: str, model_path: str = "", device: str = "cpu") -> None:
    """Run the official HEAR 2021 validator on a module.

    Raises
    ------
    ContractError
        When the validator rejects the module (its message is kept).
    """
    from hearvalidator.validate import ModelError, ValidateModel

    try:
        ValidateModel(module_name, model_path, device)()
    except ModelError as exc:
        raise ContractError(f"hearvalidator rejects module {module_name!r}: {exc}") from exc
