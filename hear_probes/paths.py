"""Default locations (cache, datasets), following the XDG base-directory convention."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """Root of the hear-probes cache.

    ``$HEAR_PROBES_CACHE`` wins, then ``$XDG_CACHE_HOME/hear-probes``, then
    ``~/.cache/hear-probes``. Nothing is ever written inside the user's data folders or
    inside site-packages.
    """
    env = os.environ.get("HEAR_PROBES_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hear-probes"


def embeddings_dir(cache: str | os.PathLike | None = None) -> Path:
    """Folder holding one HDF5 embedding store per model id."""
    root = Path(cache).expanduser() if cache is not None else cache_root()
    return root / "embeddings"


def data_root() -> Path:
    """Where ``hear-probes datasets fetch`` puts datasets (``$HEAR_PROBES_DATA`` overrides)."""
    env = os.environ.get("HEAR_PROBES_DATA")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "hear-probes" / "datasets"
