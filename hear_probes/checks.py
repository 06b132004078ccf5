"""Checks run before any work starts: output folders and files, the cache, Dask addresses.

Every check raises :class:`~hear_probes.errors.HearProbesError` with one line (what, where,
how to fix), so that a run that cannot write its results fails at once instead of after the
computing. :func:`write_error` turns the operating system's write errors (disk full,
read-only file system, permission denied) into such a line wherever they happen later.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

from hear_probes.errors import HearProbesError

__all__ = ["WriteError", "check_cache_dir", "check_out_dir", "check_out_file", "check_scheduler",
           "check_writable_dir", "is_write_error", "write_error"]

#: errno values of a write that fails for want of room or rights (not a bug of ours).
WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}
_WRITE_TEXTS = {"No space left on device": errno.ENOSPC, "Read-only file system": errno.EROFS,
                "Permission denied": errno.EACCES, "Disk quota exceeded": errno.EDQUOT}
_ADVICE = {errno.ENOSPC: "the disk is full: free some space there or choose another folder",
           errno.EDQUOT: "the disk quota is exhausted: free some space or choose another folder",
           errno.EFBIG: "the file is too large for that file system: choose another folder",
           errno.EROFS: "that file system is read-only: choose a writable folder",
           errno.EACCES: "no permission to write there: fix its permissions or choose another folder",
           errno.EPERM: "no permission to write there: fix its permissions or choose another folder"}


class WriteError(HearProbesError):
    """A file could not be written (disk full, read-only, permission); nothing was half-written.

    ``errno`` holds the operating system's error number.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.errno = code


def _errno_of(exc: BaseException) -> int | None:
    """The write errno of ``exc`` or of an exception it wraps (h5py keeps it in the text only)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:
            return exc.errno
        text = str(exc)
        for needle, code in _WRITE_TEXTS.items():
            if needle in text:
                return code
        m = re.search(r"errno = (\d+)", text)
        if m and int(m.group(1)) in WRITE_ERRNOS:
            return int(m.group(1))
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def is_write_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a disk-full, read-only or permission error of a write."""
    return _errno_of(exc) is not None


def write_error(path: str | os.PathLike, exc: BaseException) -> WriteError:
    """One-line :class:`WriteError` for a failed write of ``path`` (``exc``: the OS error)."""
    code = _errno_of(exc) or errno.EIO
    return WriteError(code, f"cannot write {path}: {os.strerror(code)}; {_ADVICE.get(code, 'choose another folder')} "
                      "(nothing was half-written; a rerun resumes)")


def _existing_ancestor(path: Path) -> Path:
    p = path
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def check_writable_dir(folder: str | os.PathLike, option: str) -> Path:
    """Raise unless a file can be created in ``folder`` (or where it would be created).

    The folder itself is not created: its nearest existing ancestor must be a writable
    folder. A test file is created and removed (``os.access`` is not enough for root on a
    read-only file system).
    """
    path = Path(folder).expanduser()
    base = _existing_ancestor(path)
    if base.is_symlink() and not base.exists():
        raise HearProbesError(f"{option} {folder}: {base} is a symbolic link to a missing target "
                              f"({os.readlink(base)}); remove it or give another folder")
    if not base.is_dir():
        what = "is" if base == path else f"lies under {base}, which is"
        raise HearProbesError(f"{option} {folder}: {what} a file, not a folder; give a folder")
    try:
        with tempfile.TemporaryFile(dir=base, prefix=".hear-probes-write-test-"):
            pass
    except OSError as exc:
        code = _errno_of(exc) or exc.errno or errno.EIO
        raise HearProbesError(f"{option} {folder}: cannot write in {base} ({os.strerror(code)}); "
                              f"{_ADVICE.get(code, 'choose another folder')}") from exc
    return path


def check_out_dir(folder: str | os.PathLike, option: str = "--out") -> Path:
    """An output folder: not a file, and writable (see :func:`check_writable_dir`)."""
    return check_writable_dir(folder, option)


def check_out_file(path: str | os.PathLike, option: str = "--output") -> Path:
    """An output file: not an existing folder, and its folder writable."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise HearProbesError(f"{option} {path}: a folder, not a file; give a file name such as "
                              f"{p / 'report.html'}")
    check_writable_dir(p.parent, option)
    return p


def check_cache_dir(cache: str | os.PathLike | None) -> None:
    """``--cache``: not a file, not a dangling symbolic link (it may be read-only: then every
    set must already be there, which the embedding stage checks before computing one)."""
    from hear_probes.paths import embeddings_dir

    root = Path(cache).expanduser() if cache is not None else embeddings_dir(None).parent
    option = "--cache" if cache is not None else "cache folder"
    for p in (root, root / "embeddings"):
        if p.is_symlink() and not p.exists():
            raise HearProbesError(f"{option} {root}: {p} is a symbolic link to a missing target "
                                  f"({os.readlink(p)}); remove it or point --cache elsewhere")
        if p.exists() and not p.is_dir():
            raise HearProbesError(f"{option} {root}: {p} is a file, not a folder; point --cache "
                                  "to a folder")
    base = _existing_ancestor(root)
    if not base.is_dir():
        raise HearProbesError(f"{option} {root}: lies under {base}, which is a file, not a folder")


_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
_ADDRESS = re.compile(rf"^(?:(?P<scheme>[a-z]+)://)?(?P<host>{_HOST})(?::(?P<port>\d{{1,5}}))?/?$")


def check_scheduler(address: str | None) -> str | None:
    """A Dask scheduler address (``[tcp://]host[:port]``, also tls/ucx/ws/wss/inproc).

    Only the form is checked (instantly); whether a scheduler answers there is found when
    connecting.
    """
    if address is None:
        return None
    text = address.strip()
    m = _ADDRESS.match(text)
    ok = m is not None and (m["scheme"] or "tcp") in _SCHEMES
    if m is not None and m["port"] is not None and not 0 < int(m["port"]) < 65536:
        ok = False
    if text.startswith("inproc://") and len(text) > len("inproc://") and " " not in text:
        ok = True
    if not ok:
        raise HearProbesError(
            f"--scheduler {address!r}: not a Dask scheduler address; expected [tcp://]host:port "
            "such as tcp://127.0.0.1:8786 (schemes: " + ", ".join(_SCHEMES) + ")")
    return text
