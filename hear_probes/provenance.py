"""Provenance of results (command, versions, seed, timings) and atomic result writers."""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np

from hear_probes.atomic import atomic_write_text  # noqa: F401  (re-exported)

_PACKAGES = ("hear-probes", "numpy", "scipy", "torch", "scikit-learn", "h5py", "soxr", "soundfile",
             "transformers", "tensorflow", "tensorflow-hub", "openl3")


def package_versions(packages=_PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that can change results (absent ones omitted)."""
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def command_line() -> str:
    """The command as typed (``hear-probes probe ...`` rather than a path to the script)."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name in ("hear-probes", "__main__.py", "cli.py"):
        argv[0] = "hear-probes"
    return shlex.join(argv)


def provenance(seed: int | None = None, timings: dict[str, float] | None = None,
               extra: dict | None = None) -> dict:
    """Where a result came from: command, versions, platform, seed, timings, date."""
    out = {
        "command": command_line(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": package_versions(),
        "seed": seed,
        "timings_s": {k: round(float(v), 4) for k, v in (timings or {}).items()},
    }
    out.update(extra or {})
    return out


def _json_key(k) -> str:
    """A dict key as ``json.dumps`` writes it (``True`` -> ``"true"``, ``None`` -> ``"null"``)."""
    if isinstance(k, str):
        return k
    if k is None or isinstance(k, (bool, np.bool_)):
        return json.dumps(None if k is None else bool(k))
    if isinstance(k, (int, np.integer)):
        return str(int(k))
    if isinstance(k, (float, np.floating)):
        return json.dumps(float(k))
    raise TypeError(f"not a JSON key: {type(k).__name__}")


def to_jsonable(o):
    """``o`` with numpy values, tuples and paths made JSON types, NaN and infinity made null.

    One pass over the payload (what ``json.loads(json.dumps(o, default=...))`` gave, without
    writing the text twice).

    Raises
    ------
    TypeError
        A value that JSON cannot hold (names its type).
    """
    if o is None or isinstance(o, (str, bool)):
        return o
    if isinstance(o, (float, np.floating)):
        return float(o) if np.isfinite(o) else None
    if isinstance(o, (int, np.integer)):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, dict):
        return {_json_key(k): to_jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [to_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return to_jsonable(o.tolist())
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _is_scalar(o) -> bool:
    return o is None or isinstance(o, (bool, int, float, str))


def dumps_readable(o, indent: int = 2, _level: int = 0) -> str:
    """JSON indented like ``json.dumps(o, indent=2)``, except that a list of scalars stays on one line.

    Per-trial and per-seed records are long lists of numbers: one line each keeps a result
    file readable and several times smaller than one number per line. Same content, valid JSON
    (``json.loads`` gives back ``o``); NaN and infinity are refused as in ``allow_nan=False``.
    """
    pad, inner = " " * (indent * _level), " " * (indent * (_level + 1))
    if isinstance(o, dict):
        if not o:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {dumps_readable(v, indent, _level + 1)}" for k, v in o.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(o, list):
        if all(_is_scalar(v) for v in o):
            return json.dumps(o, allow_nan=False)
        items = [f"{inner}{dumps_readable(v, indent, _level + 1)}" for v in o]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(o, allow_nan=False)


def write_json(path: str | os.PathLike, payload: dict) -> None:
    """Write JSON atomically; numpy scalars/arrays are converted, NaN/inf become null.

    Lists of scalars are written on one line (:func:`dumps_readable`).
    """
    text = dumps_readable(to_jsonable(payload))
    atomic_write_text(path, text + "\n")


def write_csv(path: str | os.PathLike, rows: list[dict], fieldnames: list[str] | None = None) -> None:
    """Write rows of dicts as CSV atomically."""
    fieldnames = fieldnames or (list(rows[0].keys()) if rows else [])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(r)
    atomic_write_text(path, buf.getvalue())
