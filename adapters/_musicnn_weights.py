"""musicnn / VGG weights: fetch the ``musicnn`` 0.1.0 wheel's TF1 checkpoints, verify, read.

The PyPI package ``musicnn`` 0.1.0 (Pons & Serra 2019) ships four TF1 checkpoints
(``MTT_musicnn``, ``MSD_musicnn``, ``MTT_vgg``, ``MSD_vgg``) but cannot be installed with this
project (its code needs ``numpy<1.17`` and TF1 layers). :func:`fetch` (``hear-probes weights
fetch musicnn``) therefore downloads the wheel alone with pip (``pip download --no-deps``:
nothing is installed), checks the wheel's sha256, and copies each checkpoint's two files
(``.index``, ``.data-00000-of-00001``) into ``<cache>/weights/musicnn/<MODEL>/`` after
checking their sha256 too (:data:`FILES`). The upstream files themselves are cached, not a
converted copy, so that the pinned digests are the published ones; they are read at load time
by :mod:`hear_probes_adapters._tf_checkpoint`, without TensorFlow.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hear_probes_adapters._common import WeightsNotFoundError
from hear_probes_adapters._pypi_weights import WeightsCorruptError
from hear_probes_adapters._tf_checkpoint import CheckpointFormatError, read_checkpoint

from hear_probes.atomic import atomic_write_bytes
from hear_probes.hashing import sha256_file
from hear_probes.paths import cache_root

DIST = "musicnn"
VERSION = "0.1.0"
WHEEL = "musicnn-0.1.0-py3-none-any.whl"
#: sha256 of the published wheel (PyPI, measured 2026-12-04).
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
INDEX, DATA = ".index", ".data-00000-of-00001"
#: {upstream model: {file: (sha256, size)}} of the checkpoint files inside the wheel.
FILES: dict[str, dict[str, tuple[str, int]]] = {
    "MTT_musicnn": {
        INDEX: ("da2d7bb670b2b31e9bc441bb1bd75eca31b5b061f963cc1f9630c1aff3238f57", 4948),
        DATA: ("041f3935e981a65cea739842d30c188d3a7d2adf4410955c8668eb3de4a5acab", 9465596)},
    "MSD_musicnn": {
        INDEX: ("87f3e0f3550c8d3bafc840374003e5c8af5eeb5ecf6add61af09a7822d3282c8", 4948),
        DATA: ("8579734ee6388f799ed0def4bbd0d1fdcbeaf213ef2a9dc860917bd76a303de6", 9465596)},
    "MTT_vgg": {
        INDEX: ("4b0d3d2d02bbe0919c063c1fb74bfa9018ac3517e362d681b07444d4207a5f5f", 2994),
        DATA: ("458f5c8bcecc086a3bba3dce83809df6da6e0a3560a59ddd84711bf3d5fd8303", 7274112)},
    "MSD_vgg": {
        INDEX: ("50e499238457558bba9f34f8b84d4afb8279afd43520cdf0a4fdf805a49c9ca3", 2994),
        DATA: ("9683d756b8311146534f333502ebf4a2a78a3e320c54ab0411dff6186d8375fc", 7274112)},
}
FETCH_HINT = "hear-probes weights fetch musicnn"


def weights_dir(upstream: str) -> Path:
    """Cache folder of one checkpoint (``<cache>/weights/musicnn/<MODEL>``)."""
    return cache_root() / "weights" / "musicnn" / upstream


def _download_wheel(dest: Path) -> Path:
    """The wheel downloaded by pip into ``dest`` (no dependencies, nothing installed)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), f"{DIST}=={VERSION}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = dest / WHEEL
    if proc.returncode != 0 or not wheel.is_file():
        last = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise WeightsNotFoundError(f"musicnn: pip could not download {DIST}=={VERSION} ({last}); "
                                   f"check the package index, or pass a downloaded {WHEEL} with --wheel")
    return wheel


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put the four musicnn checkpoints into the hear-probes cache (verified by sha256).

    Parameters
    ----------
    wheel : path, optional
        A downloaded ``musicnn-0.1.0-py3-none-any.whl``; default: download it with pip.
    force : bool
        Rewrite files that are already cached and valid.

    Returns
    -------
    list of Path
        The cached checkpoint folders.

    Raises
    ------
    WeightsCorruptError
        The wheel or a file inside it is not the published one.
    """
    if not force and wheel is None and all(_valid(m) for m in FILES):
        return [weights_dir(m) for m in FILES]
    with tempfile.TemporaryDirectory(prefix="hear-probes-musicnn-") as tmp:
        path = Path(wheel) if wheel else _download_wheel(Path(tmp))
        digest = sha256_file(path)
        if digest != WHEEL_SHA256:
            raise WeightsCorruptError(f"musicnn: {path} has sha256 {digest[:12]}..., not the "
                                      f"published {WHEEL} ({WHEEL_SHA256[:12]}...); "
                                      f"run {FETCH_HINT} without --wheel")
        with zipfile.ZipFile(path) as zf:
            for model, files in FILES.items():
                for name, (sha, _) in files.items():
                    blob = zf.read(f"musicnn/{model}/{name}")
                    _check_blob(model, name, blob, sha)
                    atomic_write_bytes(weights_dir(model) / f"model{name}", blob)
    return [weights_dir(m) for m in FILES]


def _check_blob(model: str, name: str, blob: bytes, sha: str) -> None:
    import hashlib

    if hashlib.sha256(blob).hexdigest() != sha:
        raise WeightsCorruptError(f"musicnn: {model}/{name} in the wheel is not the published file")


def _valid(model: str) -> bool:
    try:
        require_checkpoint(model)
    except WeightsNotFoundError:
        return False
    return True


def require_checkpoint(upstream: str, check_digest: bool = True) -> tuple[Path, Path, str]:
    """The cached, verified ``(index, data, data sha256)`` files of an upstream checkpoint.

    Raises
    ------
    WeightsNotFoundError
        Not fetched (one line: the fetch command).
    WeightsCorruptError
        Truncated or altered (one line: the command that fetches it again).
    """
    name = f"musicnn {upstream}"
    folder = weights_dir(upstream)
    paths = [folder / f"model{f}" for f in (INDEX, DATA)]
    if not all(p.is_file() for p in paths):
        raise WeightsNotFoundError(f"{name}: weights not fetched (no {folder}); fetch them from "
                                   f"PyPI with: {FETCH_HINT}")
    pins = (FILES[upstream][INDEX], FILES[upstream][DATA])
    for p, (_, size) in zip(paths, pins, strict=True):
        got = p.stat().st_size
        if got != size:
            raise WeightsCorruptError(f"{name}: {p} has {got} bytes, the published file {size}: "
                                      f"it is truncated or altered; fetch it again with "
                                      f"{FETCH_HINT} --force")
    digest = ""
    for p, (sha, _) in zip(paths, pins, strict=True) if check_digest else ():
        digest = sha256_file(p)
        if digest != sha:
            raise WeightsCorruptError(f"{name}: {p} has sha256 {digest[:12]}..., not the "
                                      f"published {sha[:12]}...: it is altered or damaged; "
                                      f"fetch it again with {FETCH_HINT} --force")
    return paths[0], paths[1], digest or FILES[upstream][DATA][0]


def read_arrays(index: Path, data: Path, name: str = "musicnn") -> dict[str, np.ndarray]:
    """Every variable of a checkpoint (optimizer slots dropped), by TF variable name.

    Raises
    ------
    WeightsCorruptError
        The files are not a readable TF checkpoint (one line naming them).
    """
    try:
        arrays = read_checkpoint(index.read_bytes(), data.read_bytes(), str(index))
    except CheckpointFormatError as exc:
        raise WeightsCorruptError(f"{name}: {exc}; fetch it again with {FETCH_HINT} --force") from None
    return {k: v for k, v in arrays.items() if "Adam" not in k and "power" not in k}
