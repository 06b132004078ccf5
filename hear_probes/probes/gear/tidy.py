"""The GEAR payload as rows of the tidy results table (:mod:`hear_probes.tidy`) and ``gear.csv``."""

from __future__ import annotations

import re
from pathlib import Path

from hear_probes.tidy import score_row

__all__ = ["CSV_NAME", "CSV_FIELDS", "rows", "write_gear_csv"]

CSV_NAME = "gear.csv"
#: Columns of ``gear.csv``: one row per factor and score.
CSV_FIELDS = ("factor", "metric", "value", "ci_low", "ci_high", "chance", "p", "n", "na_reason")
#: Chance level of the scores whose JSON stores none: an embedding unrelated to the factor
#: scores 0 on each of them (``gear.json`` ``notes``).
ZERO_CHANCE = ("isomap_linear_r2", "sensitivity", "distance_effect")
_KNN_R2 = re.compile(r"knn_r2_k\d+")


def _scores(block: dict) -> list[str]:
    knn = sorted((k for k in block if _KNN_R2.fullmatch(k)), key=lambda k: int(k[8:]))
    return knn + [k for k in ZERO_CHANCE if k in block]


def _n(key: str, block: dict, n_tones) -> int | None:
    if key == "sensitivity":
        return block.get("sensitivity_n_pairs")
    if key == "distance_effect":
        return block.get("distance_effect_n_pairs")
    return n_tones


def rows(payload: dict) -> list[dict]:
    """One row per factor and score: the kNN R2 scores (chance: permutation null, ``p``:
    permutation p-value), ``isomap_linear_r2``, ``sensitivity`` and ``distance_effect``
    (chance 0), and ``knn_log_ratio_median_abs``; each the mean over seeds with its 95 % t
    interval. ``n`` is the tones (pairs for ``sensitivity`` and ``distance_effect``)."""
    out = []
    n_tones = payload.get("n_tones")
    for factor, block in (payload.get("factors") or {}).items():
        for key in _scores(block):
            chance = 0.0 if key in ZERO_CHANCE else block.get(f"{key}_chance")
            out.append(score_row(factor, key, block.get(key), ci=block.get(f"{key}_ci"),
                                 chance=chance, p=block.get(f"{key}_p"),
                                 n=_n(key, block, n_tones)))
        lr = block.get("knn_log_ratio") or {}
        if "median_abs" in lr:
            out.append(score_row(factor, "knn_log_ratio_median_abs", lr["median_abs"],
                                 ci=(block.get("knn_log_ratio_ci") or {}).get("median_abs"),
                                 n=lr.get("n", n_tones)))
    return out


def write_gear_csv(path: str | Path, payload: dict) -> Path:
    """Write ``gear.csv`` (atomically): :func:`rows` with the factor in its own column."""
    from hear_probes.provenance import write_csv

    table = [{"factor": r["study_or_condition"], **{k: r[k] for k in CSV_FIELDS[1:]}}
             for r in rows(payload)]
    write_csv(path, table, list(CSV_FIELDS))
    return Path(path)
