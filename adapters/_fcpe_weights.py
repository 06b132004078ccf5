"""FCPE weights: fetch ``fcpe_c_v001.pt`` out of the ``torchfcpe`` 0.0.4 wheel, verify, read.

The PyPI package ``torchfcpe`` 0.0.4 ships the trained FCPE network as
``torchfcpe/assets/fcpe_c_v001.pt`` (43 MB) but requires ``torchaudio``, which has no build for
this project's torch. :func:`fetch` (``hear-probes weights fetch fcpe``) therefore downloads the
wheel alone with pip (``pip download --no-deps``: nothing is installed), checks the wheel's
sha256, and copies the one ``.pt`` file, checked by sha256 too, to
``<cache>/weights/fcpe/fcpe_c_v001.pt`` (the published file itself, not a converted copy).

The file is a ``torch.save`` dict ``{"global_step", "model", "config_dict"}`` of tensors,
numbers, strings and dicts only, so :func:`read_checkpoint` loads it with
``torch.load(weights_only=True)``: no pickled class is instantiated.
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

DIST = "torchfcpe"
VERSION = "0.0.4"
WHEEL = "torchfcpe-0.0.4-py3-none-any.whl"
#: sha256 of the published wheel (PyPI, measured 2026-12-05).
WHEEL_SHA256 = "f042c463d850d76c6f4899a0b84f0b694bb560adf05f4de951097a756d17472d"
MEMBER = "torchfcpe/assets/fcpe_c_v001.pt"
FILENAME = "fcpe_c_v001.pt"
#: sha256 and size of ``fcpe_c_v001.pt`` inside the wheel.
FILE_SHA256 = "b9aeaeb673436eeda50ceafd632aa681aa63417e52eae4207503d180c9b10015"
FILE_SIZE = 43363260
FETCH_HINT = "hear-probes weights fetch fcpe"
NAME = "fcpe"


def weights_path() -> Path:
    """Cache path of the weight file (``<cache>/weights/fcpe/fcpe_c_v001.pt``)."""
    return cache_root() / "weights" / "fcpe" / FILENAME


def _download_wheel(dest: Path) -> Path:
    """The wheel downloaded by pip into ``dest`` (no dependencies, nothing installed)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), f"{DIST}=={VERSION}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = dest / WHEEL
    if proc.returncode != 0 or not wheel.is_file():
        last = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise WeightsNotFoundError(f"{NAME}: pip could not download {DIST}=={VERSION} ({last}); "
                                   f"check the package index, or pass a downloaded {WHEEL} with --wheel")
    return wheel


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put ``fcpe_c_v001.pt`` into the hear-probes cache (verified by sha256).

    Parameters
    ----------
    wheel : path, optional
        A downloaded ``torchfcpe-0.0.4-py3-none-any.whl``; default: download it with pip.
    force : bool
        Rewrite the file when it is already cached and valid.

    Returns
    -------
    list of Path
        The cached weight file (one).

    Raises
    ------
    WeightsCorruptError
        The wheel or the file inside it is not the published one.
    """
    if not force and wheel is None and _valid():
        return [weights_path()]
    with tempfile.TemporaryDirectory(prefix="hear-probes-fcpe-") as tmp:
        path = Path(wheel) if wheel else _download_wheel(Path(tmp))
        digest = sha256_file(path)
        if digest != WHEEL_SHA256:
            raise WeightsCorruptError(f"{NAME}: {path} has sha256 {digest[:12]}..., not the "
                                      f"published {WHEEL} ({WHEEL_SHA256[:12]}...); "
                                      f"run {FETCH_HINT} without --wheel")
        with zipfile.ZipFile(path) as zf:
            blob = zf.read(MEMBER)
        if hashlib.sha256(blob).hexdigest() != FILE_SHA256:
            raise WeightsCorruptError(f"{NAME}: {MEMBER} in the wheel is not the published file")
        atomic_write_bytes(weights_path(), blob)
    return [weights_path()]


def _valid() -> bool:
    try:
        require_weights()
    except WeightsNotFoundError:
        return False
    return True


def check_file(path: Path, check_digest: bool = True, hint: str = f"{FETCH_HINT} --force") -> str:
    """sha256 of ``path`` after checking its size and digest against the published file.

    Raises
    ------
    WeightsCorruptError
        Truncated or altered (one line: the file and ``hint``, the command that replaces it).
    """
    size = path.stat().st_size
    if size != FILE_SIZE:
        raise WeightsCorruptError(f"{NAME}: weight file {path} has {size} bytes, the published "
                                  f"file {FILE_SIZE}: it is truncated or altered; fetch it again "
                                  f"with {hint}")
    if not check_digest:
        return FILE_SHA256
    digest = sha256_file(path)
    if digest != FILE_SHA256:
        raise WeightsCorruptError(f"{NAME}: weight file {path} has sha256 {digest[:12]}..., not "
                                  f"the published {FILE_SHA256[:12]}...: it is altered or "
                                  f"damaged; fetch it again with {hint}")
    return digest


def require_weights(check_digest: bool = True) -> tuple[Path, str]:
    """The cached, verified weight file and its sha256.

    Raises
    ------
    WeightsNotFoundError
        Not fetched (one line: the fetch command).
    WeightsCorruptError
        Truncated or altered (one line: the command that fetches it again).
    """
    path = weights_path()
    if not path.is_file():
        raise WeightsNotFoundError(f"{NAME}: weights not fetched (no {path}); fetch them from "
                                   f"PyPI with: {FETCH_HINT}")
    return path, check_file(path, check_digest)


def read_checkpoint(path: str | Path) -> tuple[dict, dict]:
    """``(state_dict, config_dict)`` of an FCPE ``.pt`` file, read with ``weights_only=True``.

    Raises
    ------
    WeightsCorruptError
        Not a readable FCPE checkpoint (one line naming the file).
    """
    import pickle

    import torch

    try:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise WeightsCorruptError(f"{NAME}: cannot read {path} as a torch checkpoint ({first}); "
                                  f"fetch it again with {FETCH_HINT} --force") from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), dict) \
            or not isinstance(ckpt.get("config_dict"), dict):
        raise WeightsCorruptError(f"{NAME}: {path} is not an FCPE checkpoint (no 'model' "
                                  "state dict and 'config_dict')")
    return ckpt["model"], ckpt["config_dict"]
