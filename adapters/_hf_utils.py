"""Loading Hugging Face ``transformers`` models for the HEAR modules.

One entry point, :func:`load_pretrained`: a local ``save_pretrained`` directory or a hub id
(downloaded lazily into the Hugging Face cache, ``$HF_HOME`` / ``~/.cache/huggingface``),
always float32, in eval mode, with a weights identity for the embedding store. Missing weights
(offline, no cache) give a :class:`WeightsNotFoundError` with one line saying what to
download. Remote code runs only on explicit opt-in and at a pinned 40-hex revision.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import torch
from hear_probes_adapters._common import (
    TRUST_REMOTE_CODE_ENV,
    WeightsNotFoundError,
    env_flag,
    resolve_device,
)

from hear_probes.hashing import sha256_tree

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def hub_cache_dir() -> str:
    """The Hugging Face hub cache folder (where lazily downloaded weights go)."""
    try:
        from huggingface_hub.constants import HF_HUB_CACHE

        return str(HF_HUB_CACHE)
    except Exception:  # pragma: no cover - very old huggingface_hub
        return "~/.cache/huggingface/hub"


def hub_commit(repo_id: str, revision: str | None = None) -> str | None:
    """Commit hash of the cached snapshot of ``repo_id`` that ``from_pretrained`` resolved."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    except Exception:
        return None
    if isinstance(found, str):
        name = Path(found).parent.name
        return name if _COMMIT.match(name) else None
    return None


def hub_cached(repo_id: str, revision: str | None = None) -> bool:
    """Whether ``config.json`` of ``repo_id`` is in the local Hugging Face cache."""
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, "config.json", revision=revision), str)
    except Exception:
        return False


def hub_unreachable(timeout: float = 3.0) -> str | None:
    """Why the Hugging Face hub cannot be reached now (None when it can, or when unsure).

    One TCP connection to ``$HF_ENDPOINT`` (default huggingface.co:443), at most ``timeout``
    seconds, instead of the hub client's retries with back-off (about 50 s offline). With a
    proxy configured the check is left to the hub client.
    """
    import os
    import socket
    from urllib.parse import urlsplit

    if env_flag("HF_HUB_OFFLINE"):
        return "HF_HUB_OFFLINE is set"
    if any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    parts = urlsplit(endpoint)
    host = parts.hostname or "huggingface.co"
    port = parts.port or (80 if parts.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return f"cannot reach {endpoint}: {exc.strerror or exc}"
    return None


def require_hub(repo_id: str, revision: str | None = None) -> None:
    """Fail at once, in one line, when ``repo_id`` is not cached and the hub is unreachable.

    Raises
    ------
    WeightsNotFoundError
        Naming the repository, the cache folder and what to do.
    """
    if hub_cached(repo_id, revision):
        return
    why = hub_unreachable()
    if why is not None:
        raise WeightsNotFoundError(
            f"{repo_id} is not in the Hugging Face cache ({hub_cache_dir()}) and the hub is "
            f"unreachable ({why}): run `hf download {repo_id}` where there is network (then copy "
            "the cache, or set HF_HOME), or pass a local save_pretrained directory")


def needs_remote_code(path: str | Path) -> bool:
    """Whether a local model directory's ``config.json`` maps to code shipped with it."""
    cfg = Path(path) / "config.json"
    if not cfg.is_file():
        return False
    return "auto_map" in json.loads(cfg.read_text())


def check_remote_code(repo_or_path: str, revision: str | None, trust_remote_code: bool | None) -> bool:
    """Decide whether remote code may run: explicit opt-in (the argument) and a pin.

    Raises
    ------
    PermissionError
        Remote code was not opted in to, or (for a hub id) the revision is not a commit hash.
    """
    if not trust_remote_code:
        stale = (f" (${TRUST_REMOTE_CODE_ENV} is no longer read)"
                 if env_flag(TRUST_REMOTE_CODE_ENV) else "")
        raise PermissionError(
            f"{repo_or_path} needs remote code (trust_remote_code): after reviewing it, opt in "
            f"with --trust-remote-code (hear-probes) or load_model(..., trust_remote_code=True)"
            f"{stale}"
        )
    if not Path(repo_or_path).is_dir() and not (revision and _COMMIT.match(revision)):
        raise PermissionError(
            f"remote code of {repo_or_path} runs only at a pinned revision: give the reviewed "
            f"40-hex commit hash (revision=..., got {revision!r})"
        )
    return True


def load_pretrained(
    model_cls: Any,
    model_file_path: str,
    repo_id: str,
    revision: str | None = None,
    device: str | None = None,
    trust_remote_code: bool = False,
) -> tuple[torch.nn.Module, str, str]:
    """Load a transformers model from a local directory or the hub.

    Parameters
    ----------
    model_cls : transformers class
        E.g. ``Wav2Vec2Model`` or ``AutoModel``.
    model_file_path : str
        "" for ``repo_id`` from the hub (or its cache), else a ``save_pretrained`` directory.
    repo_id, revision : str
        Hub id and optional revision (branch, tag or commit).
    device : str, optional
        See :func:`hear_probes_adapters._common.resolve_device`.
    trust_remote_code : bool
        Passed to ``from_pretrained`` (the caller checks the opt-in first).

    Returns
    -------
    model, source, weights_id
        The model (float32, eval, on the device), the directory or hub id it came from, and
        ``hf:<repo>@<commit>`` or ``sha256-tree:<hash>`` for a local directory.
    """
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    kwargs: dict[str, Any] = {"dtype": torch.float32}
    if trust_remote_code:
        kwargs["trust_remote_code"] = True
    if model_file_path:
        path = Path(model_file_path)
        if not path.is_dir():
            raise ValueError(f"{path} is not a save_pretrained directory")
        model = model_cls.from_pretrained(str(path), local_files_only=True, **kwargs)
        source, weights_id = str(path), f"sha256-tree:{sha256_tree(path)}"
    else:
        require_hub(repo_id, revision)  # offline and not cached: one line at once, no retries
        try:
            model = model_cls.from_pretrained(repo_id, revision=revision, **kwargs)
        except OSError as exc:
            raise WeightsNotFoundError(
                f"weights of {repo_id} are not in the Hugging Face cache ({hub_cache_dir()}) and "
                f"could not be downloaded: run `hf download {repo_id}` where there is network "
                "(then copy the cache, or set HF_HOME), or pass a local save_pretrained directory"
            ) from exc
        commit = hub_commit(repo_id, revision) or revision or "unknown"
        source, weights_id = repo_id, f"hf:{repo_id}@{commit}"
    model = model.to(resolve_device(device)).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, source, weights_id


def load_feature_config(source: str, revision: str | None, defaults: dict) -> dict:
    """``preprocessor_config.json`` values of ``source`` over ``defaults`` (defaults when absent).

    Only keys in ``defaults`` are read; a missing file (e.g. a test model) keeps the defaults,
    which are those of the adapter's default checkpoint.
    """
    out = dict(defaults)
    local = Path(source) / "preprocessor_config.json"
    cfg: dict | None = None
    if local.is_file():
        cfg = json.loads(local.read_text())
    elif not Path(source).exists():
        try:
            from huggingface_hub import hf_hub_download

            cfg = json.loads(Path(hf_hub_download(source, "preprocessor_config.json",
                                                  revision=revision)).read_text())
        except Exception:
            cfg = None
    for k in defaults:
        if cfg and k in cfg:
            out[k] = cfg[k]
    return out
