"""PESTO weights: the ``pesto-pitch`` 2.0.1 wheel's checkpoints, verified, read safely.

The PyPI package ``pesto-pitch`` 2.0.1 (Riou et al. 2023) ships two checkpoints,
``pesto/weights/mir-1k.ckpt`` and ``pesto/weights/mir-1k_g7.ckpt``, but cannot be installed
with this project: it requires torchaudio, which has no build for this project's torch.
:func:`fetch` (``hear-probes weights fetch pesto``) takes the two checkpoints (pinned in
:data:`FILES`) out of the sha256-pinned wheel (0.6 MB) into ``<cache>/weights/pesto/`` (see
:mod:`hear_probes_adapters._wheel_weights`). The published files are cached as they are (not
converted), so the pinned digests are the published ones.

:func:`read_checkpoint` reads a checkpoint without executing pickled code and without
omegaconf: ``torch.load(weights_only=True)`` with inert stand-ins for the omegaconf classes
that ``mir-1k_g7.ckpt`` pickles in its hyper-parameters, converted back to plain dicts/lists.
"""

from __future__ import annotations

from pathlib import Path

from hear_probes_adapters import _wheel_weights as ww
from hear_probes_adapters._pypi_weights import WeightsCorruptError
from hear_probes_adapters._wheel_weights import Member, WheelSpec

#: {checkpoint: (sha256, size)} of the files ``pesto/weights/<checkpoint>.ckpt`` in the wheel.
FILES: dict[str, tuple[str, int]] = {
    "mir-1k": ("f48c355153fc2fce13393a216ff1629cdfe776b527ce11c8e879df9165e1fb3d", 123538),
    "mir-1k_g7": ("16c32e06ddd950e3e4866dfa3c7f8a87c4988f8adf43e57977b189f031f26f3e", 534664),
}
#: The wheel (sha256 measured on PyPI 2026-12-05; 627938 bytes) and the files taken out of it.
SPEC = WheelSpec(
    "pesto", "pesto-pitch", "2.0.1", "pesto_pitch-2.0.1-py3-none-any.whl",
    "2eb1e5ac1c2f78f7563f4800cccd73daf04d52717ff0d95ea30257a56f3f9d37",
    tuple(Member(f"pesto/weights/{ckpt}.ckpt", f"{ckpt}.ckpt", sha, size, f"pesto {ckpt}")
          for ckpt, (sha, size) in FILES.items()))
FETCH_HINT = SPEC.fetch_hint
#: omegaconf classes pickled in ``mir-1k_g7.ckpt`` (read as inert stand-ins, see the docstring).
_OMEGACONF = ("omegaconf.base.Metadata", "omegaconf.base.ContainerMetadata",
              "omegaconf.listconfig.ListConfig", "omegaconf.dictconfig.DictConfig",
              "omegaconf.nodes.AnyNode")


def weights_path(checkpoint: str) -> Path:
    """Cache file of one checkpoint (``<cache>/weights/pesto/<checkpoint>.ckpt``)."""
    return SPEC.folder() / f"{checkpoint}.ckpt"


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put the two PESTO checkpoints into the hear-probes cache.

    :func:`~hear_probes_adapters._wheel_weights.fetch` of :data:`SPEC`; returns
    the cached checkpoint files.
    """
    return ww.fetch(SPEC, wheel, force)


def require_checkpoint(checkpoint: str, check_digest: bool = True) -> tuple[Path, str]:
    """The cached, verified checkpoint file and its sha256.

    Errors as :func:`hear_probes_adapters._wheel_weights.require` (one line with the fix).
    """
    return ww.require(SPEC, SPEC.member(f"{checkpoint}.ckpt"), check_digest)


class _Inert:
    """Stand-in for a pickled omegaconf object: keeps its state, runs nothing."""

    def __init__(self, *args, **kwargs) -> None:
        self.__dict__["_args"] = (args, kwargs)

    def __setstate__(self, state) -> None:
        self.__dict__["_state"] = state


def _plain(obj, depth: int = 0):
    """omegaconf stand-ins → plain dict / list / value (their ``_content`` / ``_val``)."""
    if depth > 40:
        raise ValueError("hyper-parameters nested too deep")
    if isinstance(obj, _Inert):
        state = obj.__dict__.get("_state", {})
        if isinstance(state, tuple):  # (dict state, slot state)
            state = next((s for s in state if isinstance(s, dict)), {})
        for key in ("_content", "_val"):
            if isinstance(state, dict) and key in state:
                return _plain(state[key], depth + 1)
        return None
    if isinstance(obj, dict):
        return {k: _plain(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v, depth + 1) for v in obj]
    return obj


def read_checkpoint(path: str | Path, name: str = "pesto") -> dict:
    """``{"state_dict", "hparams", "hcqt_params"}`` of a PESTO checkpoint, read safely.

    Raises
    ------
    WeightsCorruptError
        Not a readable PESTO checkpoint (one line naming the file).
    """
    import collections
    import typing

    import torch

    stubs = [(type(n.rsplit(".", 1)[1], (_Inert,), {}), n) for n in _OMEGACONF]
    allowed = [*stubs, typing.Any, dict, list, int, collections.defaultdict]
    try:
        with torch.serialization.safe_globals(allowed):
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        out = {"state_dict": dict(ckpt["state_dict"]), "hparams": _plain(ckpt["hparams"]),
               "hcqt_params": _plain(ckpt["hcqt_params"])}
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise WeightsCorruptError(f"{name}: cannot read the checkpoint {path} ({first[:160]}); "
                                  f"it is truncated or not a PESTO checkpoint") from None
    return out
