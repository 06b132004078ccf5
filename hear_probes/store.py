"""HDF5 embedding store: one file per model id, one group per stimulus set.

Layout (documented for users in ``docs/embedding-store.md``)::

    <cache>/embeddings/<model_id>.h5
        attrs: hear_probes_store = 1, model
        /<probe>/<set>/embeddings   float32 [n_items, dim]   (scene embeddings)
        /<probe>/<set>/item_ids     UTF-8 strings [n_items]
        attrs of /<probe>/<set>: model, sample_rate, stimulus_hash, config_hash,
                                 adapter_version, weights_id, created, n_items

Crash safety: the HDF5 file is never modified in place. A finished set is written into a
fresh copy of the file which then replaces the original with ``os.replace`` (atomic), under
a file lock that serialises writers from several processes. While a set is being computed,
each finished batch is saved as its own small ``.npz`` next to the file
(``<model_id>.parts/<probe>__<set>/<stimulus>-<config>-b<batch size>/``, :class:`SetKey`), also atomically, so
a killed run loses at most the batch in flight and a rerun with the same batch size computes
only the missing items. The batch size is part of that key because a model's output for an
item can depend (by float rounding, ~1e-6) on the batch it was computed in; a rerun with
another ``--batch-size`` starts that set afresh instead of mixing rows of both.

Concurrent runs: computing a set holds a per-set lock (``<model_id>.locks/<probe>__<set>.lock``)
from the cache lookup to the final write. A second run that wants the same set waits for the
first (saying so on stderr), then finds the finished set in the store and reuses it: no crash
and no work done twice. Runs that embed different sets of one model proceed in parallel.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
from filelock import FileLock, Timeout

from hear_probes.atomic import atomic_path
from hear_probes.errors import StoreError

STORE_FORMAT = 1
_STR = h5py.string_dtype(encoding="utf-8")


@dataclass(frozen=True)
class SetKey:
    """Which stored set, from which stimuli and configuration, saved in batches of what size.

    Attributes
    ----------
    group, name : str
        The set lives at ``/<group>/<name>`` (group: the probe, e.g. ``timbre``).
    stimulus_hash : str
        Content hash of the stimuli at the model's sample rate (and resampling method).
    config_hash : str
        The model configuration (:meth:`~hear_probes.hear_module.LoadedModule.key`).
    batch_size : int, optional
        Items per saved partial batch (part of the partial batches' key: rows computed in
        batches of another size may differ in the last bits and are never mixed).
    """

    group: str
    name: str
    stimulus_hash: str
    config_hash: str
    batch_size: int | None = None

    @property
    def where(self) -> str:
        """``/<group>/<name>`` (checked: no slash or dot-dot in either part)."""
        return "/" + _check_set_name(self.group, self.name)

    def parts_folder(self, parts_dir: Path) -> Path:
        """Folder of this set's partial batches under a store's ``parts_dir``."""
        batch = f"-b{int(self.batch_size)}" if self.batch_size is not None else ""
        return (Path(parts_dir) / f"{self.group}__{self.name}"
                / f"{self.stimulus_hash[:16]}-{self.config_hash[:16]}{batch}")


@dataclass
class StoredSet:
    """Embeddings of one stimulus set, rows aligned with ``item_ids``."""

    embeddings: np.ndarray
    item_ids: list[str]
    attrs: dict = field(default_factory=dict)

    def rows_for(self, item_ids) -> np.ndarray:
        """Rows in the order of ``item_ids``.

        Raises
        ------
        StoreError
            Naming the ids the set lacks.
        """
        index = {k: i for i, k in enumerate(self.item_ids)}
        missing = [k for k in item_ids if k not in index]
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise StoreError(f"{len(missing)} item(s) missing from the embeddings: {shown}")
        return self.embeddings[[index[k] for k in item_ids]]


def safe_name(name: str) -> str:
    """File-system-safe name of a model id, unique per id (``pkg.mod`` stays as is).

    An id made only of letters, digits, ``.``, ``_`` and ``-`` is kept unchanged; any other
    id has its unsafe characters replaced by ``_`` and gets the first 8 hex digits of the
    sha256 of the full id appended, so that two ids that differ only in unsafe characters
    (``hf:/x/p/q`` and ``hf:/x/p_q``) never share a folder or a store file.
    """
    text = str(name)
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "model"
    if clean == text:
        return clean
    return f"{clean}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def _check_set_name(probe: str, set_name: str) -> str:
    for part in (probe, set_name):
        if not part or "/" in part or part in (".", ".."):
            raise StoreError(f"invalid probe/set name {probe!r}/{set_name!r}: no '/' and not empty")
    return f"{probe}/{set_name}"


def _decode(ids) -> list[str]:
    return [i.decode("utf-8") if isinstance(i, bytes) else str(i) for i in ids]


def _read_group(grp: h5py.Group, where: str) -> StoredSet:
    if "embeddings" not in grp or "item_ids" not in grp:
        raise StoreError(f"{where}: group lacks 'embeddings' and/or 'item_ids' datasets")
    emb = np.asarray(grp["embeddings"][...], dtype=np.float32)
    ids = _decode(grp["item_ids"][...])
    if emb.ndim != 2:
        raise StoreError(f"{where}/embeddings: must be 2-D [n_items, dim], found shape {emb.shape}; "
                         "store one row per item (reshape(-1, 1) for a single feature)")
    if emb.shape[0] != len(ids):
        raise StoreError(f"{where}: embeddings {emb.shape} do not match {len(ids)} item_ids")
    attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in grp.attrs.items()}
    return StoredSet(emb, ids, attrs)


def open_h5_readonly(path: Path, user_file: bool = False) -> h5py.File:
    """Open an HDF5 file for reading, turning h5py's errors into a clear :class:`StoreError`.

    ``user_file``: the file was given by the user (``--embeddings``), not a cache file that
    hear-probes wrote, so the advice is about its format rather than deleting it.
    """
    try:
        return h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        if user_file:
            raise StoreError(
                f"{path}: not an HDF5 embeddings file ({exc}). --embeddings needs an HDF5 file "
                "in the store layout /<probe>/<set>/{embeddings, item_ids}; see "
                "docs/embedding-store.md"
            ) from exc
        raise StoreError(
            f"{path}: not a readable HDF5 file (truncated or foreign?): {exc}. "
            "Delete it to recompute, or point --cache elsewhere."
        ) from exc


def check_embeddings_file(path: str | os.PathLike) -> Path:
    """``path`` if it is a readable HDF5 file (``--embeddings``), else a clear :class:`StoreError`."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such embeddings file (--embeddings)")
    open_h5_readonly(path, user_file=True).close()
    return path


def read_embeddings_file(path: str | os.PathLike, probe: str, set_name: str) -> StoredSet:
    """Read ``/<probe>/<set>`` from any HDF5 file in the store layout (``--embeddings``)."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such embeddings file")
    key = _check_set_name(probe, set_name)
    with open_h5_readonly(path, user_file=True) as f:
        if key not in f:
            have = list_sets_in_file(path, probe)
            raise StoreError(
                f"{path}: no group /{key}; groups under /{probe}: {', '.join(have) or 'none'}. "
                "See docs/embedding-store.md for the layout."
            )
        out = _read_group(f[key], f"{path}:/{key}")
    finite = np.isfinite(out.embeddings).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        shown = ", ".join(f"row {i} ({out.item_ids[i]!r})" for i in bad[:5]) + (" ..." if bad.size > 5 else "")
        raise StoreError(f"{path}:/{key}/embeddings: {bad.size} row(s) hold NaN/inf values: {shown}")
    return out


def list_sets_in_file(path: str | os.PathLike, probe: str) -> list[str]:
    """Names of the sets stored under ``/<probe>`` in an HDF5 file."""
    with open_h5_readonly(check_embeddings_file(path), user_file=True) as f:
        grp = f.get(probe)
        if not isinstance(grp, h5py.Group):
            return []
        return sorted(k for k, v in grp.items() if isinstance(v, h5py.Group))


class EmbeddingStore:
    """One model's HDF5 embedding store.

    Parameters
    ----------
    path : path-like
        The ``.h5`` file (created on the first write).
    model_id : str, optional
        Recorded in the root attributes of a new file.
    """

    def __init__(self, path: str | os.PathLike, model_id: str | None = None) -> None:
        self.path = Path(path)
        self.model_id = model_id
        self.parts_dir = self.path.with_suffix(".parts")
        self.locks_dir = self.path.with_suffix(".locks")
        self._lock = FileLock(str(self.path) + ".lock", timeout=3600)
        if self.path.exists():
            self._validate()

    @classmethod
    def for_model(cls, loaded, cache_dir: str | os.PathLike | None = None) -> EmbeddingStore:
        """The store of a loaded module in the cache (``--cache`` or the XDG cache)."""
        from hear_probes.layers import layer_model_id, split_layer_id
        from hear_probes.paths import embeddings_dir

        folder = embeddings_dir(cache_dir)
        parsed = split_layer_id(loaded.model_id) if getattr(loaded, "layer", None) is not None else None
        if parsed is not None:  # a layer view (--layers): <model>@layer-K.h5
            base, k = parsed
            return cls(folder / f"{layer_model_id(safe_name(base), k)}.h5", model_id=loaded.model_id)
        return cls(folder / f"{safe_name(loaded.model_id)}.h5", model_id=loaded.model_id)

    # -- reading ---------------------------------------------------------------------------
    def _validate(self) -> None:
        with open_h5_readonly(self.path) as f:
            if "hear_probes_store" not in f.attrs:
                raise StoreError(
                    f"{self.path}: an HDF5 file but not a hear-probes embedding store (no "
                    "'hear_probes_store' attribute); move it away or use another --cache"
                )

    def sets(self) -> list[str]:
        """``probe/set`` names of the finished sets."""
        if not self.path.exists():
            return []
        out: list[str] = []
        with open_h5_readonly(self.path) as f:
            for probe, grp in f.items():
                if isinstance(grp, h5py.Group):
                    out += [f"{probe}/{s}" for s, g in grp.items() if isinstance(g, h5py.Group)]
        return sorted(out)

    def read_set(self, probe: str, set_name: str) -> StoredSet:
        """A finished set (raises :class:`StoreError` if absent)."""
        key = _check_set_name(probe, set_name)
        if not self.path.exists():
            raise StoreError(f"{self.path}: store does not exist yet (no /{key})")
        with open_h5_readonly(self.path) as f:
            if key not in f:
                raise StoreError(f"{self.path}: no set /{key}; stored sets: {', '.join(self.sets()) or 'none'}")
            return _read_group(f[key], f"{self.path}:/{key}")

    def lookup(self, key: SetKey) -> StoredSet | None:
        """The finished set if it was computed from these stimuli with this configuration."""
        where = key.where[1:]
        if not self.path.exists():
            return None
        with open_h5_readonly(self.path) as f:
            if where not in f:
                return None
            grp = f[where]
            if grp.attrs.get("stimulus_hash") != key.stimulus_hash \
                    or grp.attrs.get("config_hash") != key.config_hash:
                return None
            return _read_group(grp, f"{self.path}:/{where}")

    # -- partial progress ------------------------------------------------------------------
    def _part_files(self, key: SetKey) -> list[Path]:
        folder = key.parts_folder(self.parts_dir)
        return sorted(folder.glob("batch-*.npz")) if folder.is_dir() else []

    def partial_rows(self, key: SetKey) -> dict[str, np.ndarray]:
        """Rows saved by earlier (possibly killed) runs for this set, configuration and batch size."""
        rows: dict[str, np.ndarray] = {}
        for f in self._part_files(key):
            try:
                with np.load(f, allow_pickle=False) as z:
                    ids, emb = [str(i) for i in z["ids"]], z["emb"]
            except Exception:  # a foreign or damaged part is ignored and recomputed
                continue
            rows.update(zip(ids, emb, strict=True))
        return rows

    @contextmanager
    def computing(self, probe: str, set_name: str, quiet: bool = False):
        """Hold the per-set lock while a set is looked up, computed and written.

        A second process asking for the same set blocks here until the first has written it
        (or died: the lock is an OS lock and is released with its holder), then repeats the
        lookup and finds the finished set.
        """
        key = _check_set_name(probe, set_name)
        try:
            self.locks_dir.mkdir(parents=True, exist_ok=True)
        except OSError:  # a read-only cache: nothing can be computed into it, nothing to lock
            yield
            return
        lock = FileLock(str(self.locks_dir / f"{key.replace('/', '__')}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not quiet:
                print(f"waiting for another hear-probes run that is embedding /{key} into "
                      f"{self.path} (lock {lock.lock_file}) ...", file=sys.stderr, flush=True)
            lock.acquire()
        except OSError:  # a read-only cache whose lock folder exists: read without a lock
            yield
            return
        try:
            yield
        finally:
            lock.release()

    def partial_layers(self, key: SetKey) -> dict[int, dict[str, np.ndarray]]:
        """``{layer: {item id: row}}`` of the other layers saved with this set's partial batches.

        ``--layers`` saves every layer of a batch in one file (``layer_<K>`` arrays next to
        ``emb``, see :meth:`save_partial`); damaged files are ignored.
        """
        out: dict[int, dict[str, np.ndarray]] = {}
        for f in self._part_files(key):
            try:
                with np.load(f, allow_pickle=False) as z:
                    ids = [str(i) for i in z["ids"]]
                    for name in z.files:
                        if name.startswith("layer_"):
                            out.setdefault(int(name[6:]), {}).update(zip(ids, z[name], strict=True))
            except Exception:  # a foreign or damaged part is ignored and recomputed
                continue
        return out

    def save_partial(self, key: SetKey, ids: list[str], embeddings: np.ndarray,
                     layers: dict[int, np.ndarray] | None = None) -> None:
        """Save one finished batch atomically (``layers``: other layers' rows, same file)."""
        folder = key.parts_folder(self.parts_dir)
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]
        target = folder / f"batch-{digest}.npz"
        extra = {f"layer_{int(k)}": np.asarray(v, np.float32) for k, v in (layers or {}).items()}
        with atomic_path(target) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, ids=np.array(ids, dtype=str), emb=np.asarray(embeddings, np.float32), **extra)

    # -- writing ---------------------------------------------------------------------------
    def check_writable(self, what: str) -> None:
        """Raise a one-line :class:`StoreError` unless the store's folder can be written.

        Called before ``what`` (a set about to be computed) is embedded, so that a read-only
        or misplaced cache fails before the model runs rather than when the result is saved.
        A read-only cache that already holds every set is fine: nothing is written then.
        """
        from hear_probes.checks import check_writable_dir

        try:
            check_writable_dir(self.path.parent, "cache folder")
        except StoreError:
            raise
        except Exception as exc:  # HearProbesError of the check: say what needed writing
            raise StoreError(f"cannot compute {what} into {self.path}: {exc}") from exc

    @contextmanager
    def locked(self):
        """Hold the store's inter-process file lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            yield

    def write_set(self, probe: str, set_name: str, embeddings: np.ndarray, item_ids: list[str],
                  attrs: dict) -> None:
        """Write a finished set: copy-on-write of the whole file, then atomic replace.

        Existing sets are copied unchanged; a set of the same name is replaced. The partial
        batches of this set are removed afterwards.
        """
        key = _check_set_name(probe, set_name)
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(item_ids):
            raise StoreError(f"/{key}: embeddings {emb.shape} do not match {len(item_ids)} item_ids")
        if len(set(item_ids)) != len(item_ids):
            raise StoreError(f"/{key}: duplicated item ids")
        with self.locked():
            with atomic_path(self.path) as tmp, h5py.File(tmp, "w") as dst:
                if self.path.exists():
                    with open_h5_readonly(self.path) as src:
                        for k, v in src.attrs.items():
                            dst.attrs[k] = v
                        for p_name, p_grp in src.items():
                            for s_name in p_grp:
                                if f"{p_name}/{s_name}" != key:
                                    src.copy(p_grp[s_name], dst.require_group(p_name), name=s_name)
                dst.attrs["hear_probes_store"] = STORE_FORMAT
                if self.model_id is not None:
                    dst.attrs["model"] = self.model_id
                grp = dst.require_group(probe).create_group(set_name)
                grp.create_dataset("embeddings", data=emb)
                grp.create_dataset("item_ids", data=np.array(item_ids, dtype=object), dtype=_STR)
                grp.attrs["created"] = datetime.now(UTC).isoformat(timespec="seconds")
                grp.attrs["n_items"] = len(item_ids)
                for k, v in attrs.items():
                    grp.attrs[k] = v
            shutil.rmtree(self.parts_dir / f"{probe}__{set_name}", ignore_errors=True)
            self._remove_if_empty(self.parts_dir)

    @staticmethod
    def _remove_if_empty(folder: Path) -> None:
        """Remove ``folder`` if it holds nothing (another run may be filling it: then keep it)."""
        try:
            folder.rmdir()
        except OSError:  # absent, or not empty
            pass
