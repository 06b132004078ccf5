"""The tidy results table: one row per score, the same columns for every probe.

Columns (:data:`COLUMNS`): ``model``, ``layer``, ``probe``, ``study_or_condition``, ``metric``,
``value``, ``ci_low``, ``ci_high``, ``chance``, ``p``, ``n``, ``na_reason``. ``value``,
``ci_low``, ``ci_high``, ``chance``, ``p`` are numbers (empty / NaN when undefined), ``n`` an
integer count of the units the score is computed over, ``layer`` the layer index of a
``--layers`` run (empty otherwise). A score that is "n/a" in the JSON has an empty ``value``
and says why in ``na_reason``.

Each probe turns its own payload into rows (:attr:`hear_probes.probes.registry.Probe.rows`);
this module adds the model, layer and probe columns and writes ``results.csv`` (and
``results.parquet`` when pyarrow is installed) next to the probes' JSON files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["COLUMNS", "NUMERIC", "CSV_NAME", "PARQUET_NAME", "score_row", "payload_rows",
           "folder_rows", "write_results_table", "model_and_layer", "number"]

COLUMNS = ("model", "layer", "probe", "study_or_condition", "metric", "value", "ci_low",
           "ci_high", "chance", "p", "n", "na_reason")
#: Columns that hold numbers (floats; ``n`` and ``layer`` integers or empty).
NUMERIC = ("layer", "value", "ci_low", "ci_high", "chance", "p", "n")
CSV_NAME = "results.csv"
PARQUET_NAME = "results.parquet"

_LAYER_ID = re.compile(r"^(?P<model>.*)@layer-(?P<layer>-?\d+)$")
_LAYER_DIR = re.compile(r"^layer-(?P<layer>-?\d+)$")


def number(x) -> float | None:
    """``x`` as a finite float, or None (None, "n/a", NaN, inf, a non-number)."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _count(x) -> int | None:
    v = number(x)
    return None if v is None else int(round(v))


def score_row(condition: str, metric: str, value, *, ci=None, chance=None, p=None, n=None,
              na_reason: str | None = None) -> dict:
    """One row of a probe's scores (without the model, layer and probe columns).

    Parameters
    ----------
    condition : str
        Study, ranking column or GEAR factor ("all" for a summary over them).
    metric : str
        Name of the score, as in the probe's JSON.
    value : float, str or None
        The score; anything that is not a finite number becomes empty, with ``na_reason``
        (default: "n/a" when the JSON says so, else "not computed").
    ci : sequence of two floats, optional
        Its 95 % interval ``[low, high]``.
    chance : float, optional
        Its chance level.
    p : float, optional
        Its p-value.
    n : int, optional
        Units it is computed over (trials, tones, sounds, studies).
    na_reason : str, optional
        Why the score is missing.
    """
    v = number(value)
    low, high = (ci if isinstance(ci, (list, tuple)) and len(ci) == 2 else (None, None))
    reason = None
    if v is None:
        reason = na_reason or (str(value) if isinstance(value, str) else "not computed")
    return {"study_or_condition": str(condition), "metric": metric, "value": v,
            "ci_low": number(low), "ci_high": number(high), "chance": number(chance),
            "p": number(p), "n": _count(n), "na_reason": reason}


def model_and_layer(payload: dict, folder: Path | None = None) -> tuple[str, int | None]:
    """Model name and layer of a payload: ``model.model_id`` (``name@layer-K`` split), else
    the folder (``.../<model>/layer-K`` or ``.../<model>``)."""
    model = payload.get("model") if isinstance(payload.get("model"), dict) else {}
    mid = str(model.get("model_id") or "")
    layer = model.get("layer")
    m = _LAYER_ID.match(mid)
    if m:
        mid, layer = m.group("model"), int(m.group("layer"))
    if folder is not None:
        d = _LAYER_DIR.match(folder.name)
        if d and layer is None:
            layer = int(d.group("layer"))
        if not mid:
            mid = folder.parent.name if d else folder.name
    return mid or "model", (int(layer) if layer is not None else None)


def payload_rows(probe: str, payload: dict, model: str, layer: int | None) -> list[dict]:
    """The tidy rows of one probe's payload (empty when the probe declares no ``rows``).

    Parameters
    ----------
    probe : str
        Registered probe name (:mod:`hear_probes.probes.registry`).
    payload : dict
        Its ``<probe>.json`` content.
    model, layer
        Values of the ``model`` and ``layer`` columns.
    """
    from hear_probes.probes.registry import probes

    spec = probes().get(probe)
    if spec is None or spec.rows is None:
        return []
    return [{"model": model, "layer": layer, "probe": probe, **r} for r in spec.rows(payload)]


def folder_rows(folder: str | Path) -> list[dict]:
    """Tidy rows of every registered probe's JSON file in one result folder."""
    from hear_probes.probes.registry import probes

    folder = Path(folder)
    out: list[dict] = []
    for name, spec in probes().items():
        path = folder / spec.filename
        if spec.rows is None or not path.is_file():
            continue
        try:
            payload = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue  # the report and load_results say so; a table is never blocked by it
        model, layer = model_and_layer(payload, folder)
        out += payload_rows(name, payload, model, layer)
    return out


def _csv_text(rows: Iterable[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in COLUMNS})
    return buf.getvalue()


def write_results_table(folder: str | Path) -> list[Path]:
    """(Re)write ``<folder>/results.csv`` (and ``results.parquet`` with pyarrow) from the
    probes' JSON files there; the paths written (none when no probe has rows).

    Written atomically; called by every probe run after its JSON file, so the table always
    holds every probe that ran in the folder.
    """
    from hear_probes.atomic import atomic_path, atomic_write_text

    folder = Path(folder)
    rows = folder_rows(folder)
    if not rows:
        return []
    written = [folder / CSV_NAME]
    atomic_write_text(written[0], _csv_text(rows))
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written
    columns = {k: [r.get(k) for r in rows] for k in COLUMNS}
    types = {k: (pa.int64() if k in ("layer", "n") else pa.float64() if k in NUMERIC
                 else pa.string()) for k in COLUMNS}
    table = pa.table({k: pa.array(v, type=types[k]) for k, v in columns.items()})
    with atomic_path(folder / PARQUET_NAME) as tmp:
        pq.write_table(table, tmp)
    written.append(folder / PARQUET_NAME)
    return written
