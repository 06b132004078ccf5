"""Resemblyzer weights: fetch ``pretrained.pt`` out of the ``Resemblyzer`` 0.1.4 wheel, verify it.

The PyPI package ``Resemblyzer`` 0.1.4 (Resemble AI's GE2E speaker encoder) ships its trained
weights as ``resemblyzer/pretrained.pt`` (17 MB, a torch checkpoint). The package itself
installs here, but pulls in webrtcvad (a C extension built from source), librosa, an unpinned
torch and the ``typing`` backport; none of them is needed to run the network, which is written in
torch in :mod:`hear_probes_adapters.resemblyzer`. :func:`fetch` (``hear-probes weights fetch
resemblyzer``) therefore downloads the wheel alone with pip (``pip download --no-deps``:
nothing is installed), checks the wheel's sha256, and copies ``pretrained.pt`` into
``<cache>/weights/resemblyzer/`` after checking its sha256 too. A ``pretrained.pt`` of an
installed ``Resemblyzer`` (``pip install Resemblyzer``) is used as well when nothing was
fetched (:func:`require_weights`), after the same checks.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from hear_probes_adapters._common import WeightsNotFoundError
from hear_probes_adapters._pypi_weights import WeightsCorruptError, site_file

from hear_probes.atomic import atomic_write_bytes
from hear_probes.hashing import sha256_file
from hear_probes.paths import cache_root

MODEL = "resemblyzer"
DIST = "Resemblyzer"
VERSION = "0.1.4"
WHEEL = "Resemblyzer-0.1.4-py3-none-any.whl"
#: sha256 of the published wheel (PyPI, measured 2026-12-05).
WHEEL_SHA256 = "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f"
MEMBER = "resemblyzer/pretrained.pt"
#: sha256 and size of ``resemblyzer/pretrained.pt`` inside the wheel.
WEIGHTS_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
WEIGHTS_SIZE = 17090379
FETCH_HINT = "hear-probes weights fetch resemblyzer"


def weights_file() -> Path:
    """Cached weight file (``<cache>/weights/resemblyzer/pretrained.pt``)."""
    return cache_root() / "weights" / MODEL / "pretrained.pt"


def _download_wheel(dest: Path) -> Path:
    """The wheel downloaded by pip into ``dest`` (no dependencies, nothing installed)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), f"{DIST}=={VERSION}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = dest / WHEEL
    if proc.returncode != 0 or not wheel.is_file():
        last = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise WeightsNotFoundError(f"{MODEL}: pip could not download {DIST}=={VERSION} ({last}); "
                                   f"check the package index, or pass a downloaded {WHEEL} with --wheel")
    return wheel


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put Resemblyzer's ``pretrained.pt`` into the hear-probes cache (verified by sha256).

    Parameters
    ----------
    wheel : path, optional
        A downloaded ``Resemblyzer-0.1.4-py3-none-any.whl``; default: download it with pip.
    force : bool
        Rewrite the file even when it is already cached and valid.

    Returns
    -------
    list of Path
        The cached weight file (one).

    Raises
    ------
    WeightsCorruptError
        The wheel or the file inside it is not the published one.
    """
    target = weights_file()
    if not force and wheel is None and _valid(target):
        return [target]
    with tempfile.TemporaryDirectory(prefix="hear-probes-resemblyzer-") as tmp:
        path = Path(wheel) if wheel else _download_wheel(Path(tmp))
        digest = sha256_file(path)
        if digest != WHEEL_SHA256:
            raise WeightsCorruptError(f"{MODEL}: {path} has sha256 {digest[:12]}..., not the "
                                      f"published {WHEEL} ({WHEEL_SHA256[:12]}...); "
                                      f"run {FETCH_HINT} without --wheel")
        with zipfile.ZipFile(path) as zf:
            blob = zf.read(MEMBER)
    if hashlib.sha256(blob).hexdigest() != WEIGHTS_SHA256:
        raise WeightsCorruptError(f"{MODEL}: {MEMBER} in the wheel is not the published file")
    atomic_write_bytes(target, blob)
    return [target]


def _valid(path: Path) -> bool:
    try:
        check_file(path)
    except WeightsNotFoundError:
        return False
    return True


def check_file(path: Path, check_digest: bool = True, fix: str = f"{FETCH_HINT} --force") -> str:
    """sha256 of ``path`` after checking its size and digest against the published file.

    Raises
    ------
    WeightsNotFoundError
        No such file.
    WeightsCorruptError
        Truncated or altered (one line naming the model, the file and ``fix``).
    """
    if not path.is_file():
        raise WeightsNotFoundError(f"{MODEL}: no weight file {path}")
    size = path.stat().st_size
    if size != WEIGHTS_SIZE:
        raise WeightsCorruptError(f"{MODEL}: weight file {path} has {size} bytes, the published "
                                  f"file {WEIGHTS_SIZE}: it is truncated or altered; fetch it "
                                  f"again with {fix}")
    if not check_digest:
        return WEIGHTS_SHA256
    digest = sha256_file(path)
    if digest != WEIGHTS_SHA256:
        raise WeightsCorruptError(f"{MODEL}: weight file {path} has sha256 {digest[:12]}..., not "
                                  f"the published {WEIGHTS_SHA256[:12]}...: it is altered or "
                                  f"damaged; fetch it again with {fix}")
    return digest


def installed_file() -> Path | None:
    """``pretrained.pt`` of an installed ``Resemblyzer`` package (found without importing it)."""
    return site_file("resemblyzer", "pretrained.pt")


def require_weights(check_digest: bool = True) -> tuple[Path, str, str]:
    """The verified weight file, its source (``"fetched"`` or ``"pypi"``) and its sha256.

    The fetched cache file is preferred; otherwise the file of an installed ``Resemblyzer``.

    Raises
    ------
    WeightsNotFoundError
        Neither is there (one line: the fetch command).
    WeightsCorruptError
        The file is truncated or altered (one line: the command that replaces it).
    """
    cached = weights_file()
    if cached.is_file():
        return cached, "fetched", check_file(cached, check_digest)
    installed = installed_file()
    if installed is not None:
        fix = f"{FETCH_HINT} (or pip install --force-reinstall --no-deps {DIST}=={VERSION})"
        return installed, "pypi", check_file(installed, check_digest, fix)
    raise WeightsNotFoundError(f"{MODEL}: weights not fetched (no {cached}); fetch them from "
                               f"PyPI with: {FETCH_HINT}")
