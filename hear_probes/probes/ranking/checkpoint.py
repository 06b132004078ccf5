"""Checkpoints of a long ``eps`` pass, so that an interrupted ranking run resumes mid-pass.

The ``eps`` pass (forward mode over every layer of a model, :mod:`.layer_gradients`, or reverse
mode per representation, :func:`.embedding.module_gradient_pass`) is the longest step of a
ranking run on a large model (35 min for FCN-993's 1000 trials on one core). Its batches are
independent, so the arrays filled so far, with the number of trials done, are all it needs to go
on: :func:`resumable_batches` runs either pass's batches. :class:`PassCheckpoint` keeps the
arrays in one ``.npz`` file beside an embedding store (the first layer's for a group), written
atomically every ``every`` seconds and removed when the pass is complete. The file name carries
a digest of everything the numbers depend on (the model's identity, layers, trials, duration,
metric, batch size, device, dtype and the hear-probes and torch versions), so a checkpoint is
only ever resumed by the pass that wrote it (an edit of the code between two runs that changes
none of these is not seen: delete the file then); a resumed pass gives the same numbers, bit for
bit, as an uninterrupted one (each batch is computed the same way, whichever run computes it).
"""

from __future__ import annotations

import glob
import json
import time
import warnings
import zipfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hear_probes.atomic import atomic_path
from hear_probes.checks import WriteError
from hear_probes.errors import HearProbesWarning
from hear_probes.hashing import hash_arrays, hash_json

__all__ = ["PassCheckpoint", "pass_fingerprint", "resumable_batches"]

#: Per-layer arrays of the pass, each of one row per trial.
FIELDS = ("pitch", "level", "distance", "target", "prediction")


def pass_fingerprint(identity: dict, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of what a pass's numbers depend on.

    Parameters
    ----------
    identity : dict
        JSON-serialisable settings (weights id, layer ids, duration, metric, batch size...).
    arrays : dict of str to ndarray
        Inputs given as arrays (the trials' frequencies, levels and phases).

    Returns
    -------
    str
        Hex digest.
    """
    names = sorted(arrays)
    return hash_json({"identity": identity,
                      "arrays": hash_arrays([arrays[k] for k in names], ids=names)})


@dataclass
class PassCheckpoint:
    """Where a pass keeps its partial arrays, and when it writes them.

    Parameters
    ----------
    path : Path
        The ``.npz`` file (see :meth:`beside`).
    fingerprint : str
        :func:`pass_fingerprint` of the pass; a file holding another one is not resumed.
    every : float
        Seconds between writes (a write of a few MB takes milliseconds; the default loses at
        most two minutes of an interrupted pass).
    """

    path: Path
    fingerprint: str
    every: float = 120.0
    _last: float = field(default_factory=time.monotonic, repr=False)
    _began: float = field(default_factory=time.time, repr=False)  # wall clock, as st_mtime

    @classmethod
    def beside(cls, store_path: str | Path, fingerprint: str, every: float = 120.0
               ) -> PassCheckpoint:
        """The checkpoint of a pass next to an embedding store (``<store>.eps-<digest>.npz``)."""
        store_path = Path(store_path)
        name = f"{store_path.stem}.eps-{fingerprint[:16]}.npz"
        return cls(store_path.with_name(name), fingerprint, every)

    def load(self, layer_ids: list[int]) -> tuple[int, dict, dict] | None:
        """``(trials done, per-layer arrays, flags)``, or None where nothing can be resumed.

        A file that cannot be read (truncated by a crash outside the atomic write, written by
        another version) or that belongs to another pass is set aside with a warning: the pass
        then starts from the first trial, and gives the same numbers.
        """
        if not self.path.exists():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as z:
                if str(z["fingerprint"]) != self.fingerprint:
                    raise ValueError("it belongs to another pass (fingerprint differs)")
                done = int(z["done"])
                flags = json.loads(str(z["flags"]))
                arrays = {k: {f: z[f"{f}_{k}"] for f in FIELDS} for k in layer_ids}
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile,
                json.JSONDecodeError) as exc:
            warnings.warn(f"{self.path}: ranking eps checkpoint not resumed ({exc}); the pass "
                          "starts from the first trial", HearProbesWarning, stacklevel=2)
            return None
        return done, arrays, flags

    def due(self) -> bool:
        """Whether ``every`` seconds have passed since the last write (or the start)."""
        return time.monotonic() - self._last >= self.every

    def save(self, done: int, arrays: dict[int, dict[str, np.ndarray]], flags: dict,
             strict: bool = True) -> None:
        """Write the first ``done`` trials' rows of every layer's arrays, atomically.

        With ``strict=False`` a failed write (disk full, read-only folder) is a warning: the
        pass goes on, only its resumability is lost.
        """
        payload = {f"{f}_{k}": a[f][:done] for k, a in arrays.items() for f in FIELDS}
        try:
            with atomic_path(self.path, suffix=".npz") as tmp:
                np.savez(tmp, fingerprint=np.array(self.fingerprint), done=np.array(done),
                         flags=np.array(json.dumps(flags)), **payload)
        except (WriteError, OSError) as exc:
            if strict:
                raise
            warnings.warn(f"{self.path}: ranking eps checkpoint not written ({exc}); the pass "
                          "goes on, but an interruption now restarts it", HearProbesWarning,
                          stacklevel=2)
        self._last = time.monotonic()

    def remove(self, stale: bool = False) -> None:
        """Delete the file; with ``stale``, also the checkpoints of the same store's other passes
        (other settings or versions) last written before this pass began: a pass of other
        settings running beside this one writes its checkpoint every ``every`` seconds and
        keeps it."""
        self.path.unlink(missing_ok=True)
        if stale:
            stem = glob.escape(self.path.name.split(".eps-")[0])
            for other in self.path.parent.glob(f"{stem}.eps-*.npz"):
                try:
                    if other.stat().st_mtime < self._began:
                        other.unlink()
                except FileNotFoundError:
                    pass


def _rows(arrays: dict[str, np.ndarray], name: str, n: int, like: np.ndarray) -> np.ndarray:
    """``arrays[name]``, made on first use as ``n`` float32 rows as wide as ``like`` (the
    embeddings; the 1-D fields exist from the start)."""
    if name not in arrays:
        arrays[name] = np.empty((n, like.shape[-1]), dtype=np.float32)
    return arrays[name]


def resumable_batches(
    n: int,
    batch_size: int,
    keys: list[Hashable],
    compute: Callable[[slice, dict], dict],
    checkpoint: PassCheckpoint | None = None,
    flags: dict | None = None,
    abandon: tuple[type[BaseException], ...] = (),
    desc: str = "ranking gradients",
    quiet: bool = True,
) -> tuple[dict, int]:
    """Fill per-key arrays batch by batch, resuming from (and keeping) a checkpoint.

    Parameters
    ----------
    n : int
        Rows (trials) in all.
    batch_size : int
        Rows per call of ``compute``.
    keys : list
        One set of arrays per key (a layer id; ``[0]`` for a model without layers).
    compute : callable
        ``compute(sl, flags) -> {key: {field: rows}}`` for the rows ``sl`` of every key, the
        fields of :data:`FIELDS` (1-D ones as float64, the embeddings as float32 ``[rows, d]``).
        It may change ``flags`` (a fallback taken for the rest of the run); the flags are saved
        with the arrays and handed back on resume.
    checkpoint : PassCheckpoint, optional
        Resume from it, write it every ``checkpoint.every`` seconds and on any interruption,
        remove it (and the store's stale ones) once complete.
    flags : dict, optional
        Initial flags (a resumed run takes the saved ones).
    abandon : tuple of exception types
        Exceptions after which nothing is kept (the caller falls back to another way, so the
        checkpoint would never be resumed): the checkpoint is removed.
    desc, quiet
        Progress bar label, and whether to hide it (it counts rows).

    Returns
    -------
    arrays : dict
        ``{key: {field: ndarray of n rows}}`` (no embedding arrays when ``n == 0``).
    resumed_from : int
        The first row this call computed (0 unless it resumed a checkpoint).
    """
    flags = dict(flags or {})
    arrays = {k: {f: np.empty(n) for f in ("pitch", "level", "distance")} for k in keys}
    first = 0
    resumed = checkpoint.load(list(keys)) if checkpoint is not None else None
    if resumed is not None:
        first, saved, saved_flags = resumed
        flags.update(saved_flags)
        for k in keys:
            for f, a in saved[k].items():
                _rows(arrays[k], f, n, a)[:first] = a
    bar = tqdm(total=n, initial=first, desc=desc, unit="trial", disable=quiet, leave=False)
    done = first
    try:
        for start in range(first, n, batch_size):
            sl = slice(start, min(n, start + batch_size))
            rows = compute(sl, flags)
            for k in keys:
                for f, r in rows[k].items():
                    _rows(arrays[k], f, n, r)[sl] = r
            done = sl.stop
            bar.update(sl.stop - sl.start)
            if checkpoint is not None and done < n and checkpoint.due():
                checkpoint.save(done, arrays, flags, strict=False)
    except abandon:
        if checkpoint is not None:
            checkpoint.remove()
        raise
    except BaseException:  # Ctrl-C or a failure: keep what is done for the next run
        if checkpoint is not None and done > first:
            checkpoint.save(done, arrays, flags, strict=False)
        raise
    finally:
        bar.close()
    if checkpoint is not None:
        checkpoint.remove(stale=True)
    return arrays, first
