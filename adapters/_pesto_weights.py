"""PESTO weights: fetch the ``pesto-pitch`` 2.0.1 wheel's checkpoints, verify, read safely.

The PyPI package ``pesto-pitch`` 2.0.1 (Riou et al. 2023) ships two checkpoints,
``pesto/weights/mir-1k.ckpt`` and ``pesto/weights/mir-1k_g7.ckpt``, but cannot be installed
with this project: it requires torchaudio, which has no build for this project's torch.
:func:`fetch` (``hear-probes weights fetch pesto``) therefore downloads the wheel alone with
pip (``pip download --no-deps``: nothing is installed; 0.6 MB), checks the wheel's sha256, and
copies the two checkpoints into ``<cache>/weights/pesto/`` after checking their sha256 too
(:data:`FILES`). The published files are cached as they are (not converted), so the pinned
digests are the published ones.

:func:`read_checkpoint` reads a checkpoint without executing pickled code and without
omegaconf: ``torch.load(weights_only=True)`` with inert stand-ins for the omegaconf classes
that ``mir-1k_g7.ckpt`` pickles in its hyper-parameters, converted back to plain dicts/lists.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from hear_probes_adapters._common import WeightsNotFoundError
from hear_probes_adapters._pypi_weights import WeightsCorruptError

from hear_probes.atomic import atomic_write_bytes
from hear_probes.hashing import sha256_file
from hear_probes.paths import cache_root

DIST = "pesto-pitch"
VERSION = "2.0.1"
WHEEL = "pesto_pitch-2.0.1-py3-none-any.whl"
#: sha256 of the published wheel (PyPI, measured 2026-12-05; 627938 bytes).
WHEEL_SHA256 = "2eb1e5ac1c2f78f7563f4800cccd73daf04d52717ff0d95ea30257a56f3f9d37"
#: {checkpoint: (sha256, size)} of the files ``pesto/weights/<checkpoint>.ckpt`` in the wheel.
FILES: dict[str, tuple[str, int]] = {
    "mir-1k": ("f48c355153fc2fce13393a216ff1629cdfe776b527ce11c8e879df9165e1fb3d", 123538),
    "mir-1k_g7": ("16c32e06ddd950e3e4866dfa3c7f8a87c4988f8adf43e57977b189f031f26f3e", 534664),
}
FETCH_HINT = "hear-probes weights fetch pesto"
#: omegaconf classes pickled in ``mir-1k_g7.ckpt`` (read as inert stand-ins, see the docstring).
_OMEGACONF = ("omegaconf.base.Metadata", "omegaconf.base.ContainerMetadata",
              "omegaconf.listconfig.ListConfig", "omegaconf.dictconfig.DictConfig",
              "omegaconf.nodes.AnyNode")


def weights_path(checkpoint: str) -> Path:
    """Cache file of one checkpoint (``<cache>/weights/pesto/<checkpoint>.ckpt``)."""
    return cache_root() / "weights" / "pesto" / f"{checkpoint}.ckpt"


def _download_wheel(dest: Path) -> Path:
    """The wheel downloaded by pip into ``dest`` (no dependencies, nothing installed)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), f"{DIST}=={VERSION}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = dest / WHEEL
    if proc.returncode != 0 or not wheel.is_file():
        last = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise WeightsNotFoundError(f"pesto: pip could not download {DIST}=={VERSION} ({last}); "
                                   f"check the package index, or pass a downloaded {WHEEL} with --wheel")
    return wheel


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put the two PESTO checkpoints into the hear-probes cache (verified by sha256).

    Parameters
    ----------
    wheel : path, optional
        A downloaded ``pesto_pitch-2.0.1-py3-none-any.whl``; default: download it with pip.
    force : bool
        Rewrite files that are already cached and valid.

    Returns
    -------
    list of Path
        The cached checkpoint files.

    Raises
    ------
    WeightsCorruptError
        The wheel or a file inside it is not the published one.
    """
    if not force and wheel is None and all(_valid(c) for c in FILES):
        return [weights_path(c) for c in FILES]
    with tempfile.TemporaryDirectory(prefix="hear-probes-pesto-") as tmp:
        path = Path(wheel) if wheel else _download_wheel(Path(tmp))
        digest = sha256_file(path)
        if digest != WHEEL_SHA256:
            raise WeightsCorruptError(f"pesto: {path} has sha256 {digest[:12]}..., not the "
                                      f"published {WHEEL} ({WHEEL_SHA256[:12]}...); "
                                      f"run {FETCH_HINT} without --wheel")
        with zipfile.ZipFile(path) as zf:
            for ckpt, (sha, _) in FILES.items():
                blob = zf.read(f"pesto/weights/{ckpt}.ckpt")
                if hashlib.sha256(blob).hexdigest() != sha:
                    raise WeightsCorruptError(f"pesto: {ckpt}.ckpt in the wheel is not the published file")
                atomic_write_bytes(weights_path(ckpt), blob)
    return [weights_path(c) for c in FILES]


def _valid(checkpoint: str) -> bool:
    try:
        require_checkpoint(checkpoint)
    except WeightsNotFoundError:
        return False
    return True


def require_checkpoint(checkpoint: str, check_digest: bool = True) -> tuple[Path, str]:
    """The cached, verified checkpoint file and its sha256.

    Raises
    ------
    WeightsNotFoundError
        Not fetched (one line: the fetch command).
    WeightsCorruptError
        Truncated or altered (one line: the command that fetches it again).
    """
    name = f"pesto {checkpoint}"
    path = weights_path(checkpoint)
    sha, size = FILES[checkpoint]
    if not path.is_file():
        raise WeightsNotFoundError(f"{name}: weights not fetched (no {path}); fetch them from "
                                   f"PyPI with: {FETCH_HINT}")
    got = path.stat().st_size
    if got != size:
        raise WeightsCorruptError(f"{name}: {path} has {got} bytes, the published file {size}: "
                                  f"it is truncated or altered; fetch it again with {FETCH_HINT} --force")
    if not check_digest:
        return path, sha
    digest = sha256_file(path)
    if digest != sha:
        raise WeightsCorruptError(f"{name}: {path} has sha256 {digest[:12]}..., not the published "
                                  f"{sha[:12]}...: it is altered or damaged; fetch it again with "
                                  f"{FETCH_HINT} --force")
    return path, digest


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
