"""Atomic file writes: a file is either its old self or its complete new self, never half.

Every writer of hear-probes (JSON/CSV results, HDF5 stores and weights, figures, downloaded
dataset files) goes through :func:`atomic_path`: the content is written to a temporary file in
the target's folder, flushed to disk (``fsync``), then renamed over the target with
``os.replace`` (atomic on POSIX and Windows). On any error, Ctrl-C included, the temporary file
is removed and the target is untouched; a disk-full, read-only or permission error becomes a
one-line :class:`hear_probes.checks.WriteError`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "default_mode", "save_figure"]


def default_mode() -> int:
    """Permissions of a new file under the current umask (``mkstemp`` alone would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Final location (its folder is created).
    suffix : str
        Suffix of the temporary file (some writers, e.g. matplotlib, infer the format from it:
        pass the target's suffix then).

    Yields
    ------
    Path
        Where to write. Write and close the file inside the ``with`` block.

    Examples
    --------
    >>> with atomic_path("out/weights.h5") as tmp:          # doctest: +SKIP
    ...     with h5py.File(tmp, "w") as f:
    ...         f["w"] = w
    """
    from hear_probes.checks import is_write_error, write_error

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as exc:
        if is_write_error(exc):
            raise write_error(path, exc) from exc
        raise
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, default_mode())
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, Exception) and is_write_error(exc):
            # disk full, read-only, no permission: one line; the target is untouched
            raise write_error(path, exc) from exc
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (newlines written as given)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def save_figure(fig, path: str | os.PathLike, **savefig_kwargs) -> Path:
    """Save a matplotlib figure atomically (format from the suffix of ``path``) and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path-like
        Target, e.g. ``out/timbre_explained_variance.png``.
    **savefig_kwargs
        Passed to ``fig.savefig`` (``dpi``, ``bbox_inches``...).

    Returns
    -------
    Path
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", **savefig_kwargs)
    plt.close(fig)
    return path
