"""A comparison as JSON (``compare.json``), CSV (``compare.csv``) and a terminal table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hear_probes.compare.records import Comparison, PairedTest
from hear_probes.compare.timbre import TIMBRE_METRICS
from hear_probes.provenance import write_csv, write_json

__all__ = ["CSV_FIELDS", "comparison_payload", "csv_rows", "format_comparison",
           "significant_lines", "write_comparison"]

COMPARE_SCHEMA_VERSION = 1
CSV_FIELDS = ("probe", "level", "a", "b", "metric", "unit", "score_a", "score_b", "difference",
              "difference_ci_low", "difference_ci_high", "p", "p_holm", "significant", "n",
              "test", "family", "details")
_LABELS = {m.name: m.label for m in TIMBRE_METRICS}


def comparison_payload(res: Comparison) -> dict:
    """``compare.json``: models, pairs, settings, every test, what was skipped, provenance."""
    return {
        "comparison": "paired",
        "schema_version": COMPARE_SCHEMA_VERSION,
        "models": [{"name": m.name, "folder": str(m.folder), "model_id": m.model_id}
                   for m in res.models],
        "pairs": [list(p) for p in res.pairs],
        "difference": "B - A: the second model of each pair minus the first",
        "settings": res.settings,
        "tests": [t.as_dict() for t in res.tests],
        "skipped": [vars(s) for s in res.skipped],
        "notes": res.notes,
        "provenance": res.provenance,
    }


def csv_rows(res: Comparison) -> list[dict]:
    """One CSV row per test (:data:`CSV_FIELDS`; ``details`` as a JSON string)."""
    rows = []
    for t in res.tests:
        d = t.as_dict()
        lo, hi = d.pop("difference_ci")
        d["difference_ci_low"], d["difference_ci_high"] = lo, hi
        d["details"] = json.dumps(d["details"], sort_keys=True, default=float)
        rows.append({k: d[k] for k in CSV_FIELDS})
    return rows


def write_comparison(res: Comparison, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``compare.json`` and ``compare.csv`` into ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    json_path, csv_path = out_dir / "compare.json", out_dir / "compare.csv"
    write_json(json_path, comparison_payload(res))
    write_csv(csv_path, csv_rows(res), list(CSV_FIELDS))
    return json_path, csv_path


def _f(x: float, signed: bool = True, digits: int = 3) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def _p(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:.4f}" if x >= 1e-4 else f"{x:.1e}"


def _mark(text: str, t: PairedTest, bold: bool) -> str:
    if not t.significant:
        return text + " "
    return (f"\033[1m{text}*\033[0m" if bold else f"{text}*")


def _across_block(res: Comparison, pair: tuple[str, str], bold: bool) -> list[str]:
    rows = res.select("timbre", "across studies", pair)
    if not rows:
        return []
    first = rows[0]
    lines = [f"  across studies: Wilcoxon signed-rank over {first.n} groups "
             f"({first.details['n_studies']} studies; shared-sound studies averaged), "
             "Holm over every score and pair",
             f"    {'score':<11} {'median ' + pair[0]:>14} {'median ' + pair[1]:>14} "
             f"{'median diff':>11} {'95% interval':>18} {'HL shift [95% interval]':>32} "
             f"{'B>A':>4} {'A>B':>4} {'p':>7} {'p Holm':>8}"]
    for t in rows:
        ci = f"[{_f(t.difference_ci[0])}, {_f(t.difference_ci[1])}]"
        hl_lo, hl_hi = t.details["hodges_lehmann_ci"]
        hl = f"{_f(t.details['hodges_lehmann'])} [{_f(hl_lo)}, {_f(hl_hi)}]"
        lines.append(
            f"    {_LABELS.get(t.metric, t.metric):<11} {_f(t.score_a, False):>14} "
            f"{_f(t.score_b, False):>14} {_f(t.difference):>11} {ci:>18} {hl:>32} "
            f"{t.details['n_b_better']:>4} {t.details['n_a_better']:>4} {_p(t.p):>7} "
            + _mark(f"{_p(t.p_holm):>8}", t, bold))
    return lines


def _study_block(res: Comparison, pair: tuple[str, str], bold: bool) -> list[str]:
    rows = res.select("timbre", "study", pair)
    if not rows:
        return []
    metrics = list(dict.fromkeys(t.metric for t in rows))
    studies = list(dict.fromkeys(t.unit for t in rows))
    cell = {(t.unit, t.metric): t for t in rows}
    width = max(len(s) for s in studies)
    lines = ["  per study: difference B - A, paired bootstrap over sounds; * significant after "
             f"Holm over the {len(studies)} studies of the score",
             "    " + "study".ljust(width) + "".join(f"{_LABELS.get(m, m):>12}" for m in metrics)]
    for s in studies:
        cells = [_mark(f"{_f(cell[s, m].difference):>11}", cell[s, m], bold) for m in metrics]
        lines.append("    " + s.ljust(width) + "".join(cells))
    return lines


def _other_block(res: Comparison, pair: tuple[str, str], probe: str, bold: bool) -> list[str]:
    rows = res.select(probe, None, pair)
    skipped = [s for s in res.skipped if s.probe == probe and (s.a, s.b) == pair]
    lines = [f"  {probe}: {s.reason}" for s in skipped]
    if rows:
        lines.append(f"  {probe}: {rows[0].test}; Holm over {rows[0].family}")
        for t in rows:
            ci = f"[{_f(t.difference_ci[0])}, {_f(t.difference_ci[1])}]"
            lines.append(f"    {t.unit + ' ' + t.metric if probe == 'gear' else t.unit:<28} "
                         f"{_f(t.score_a, False):>7} {_f(t.score_b, False):>7} {_f(t.difference):>8} "
                         f"{ci:>18} n={t.n:<5} p={_p(t.p):>7} Holm " + _mark(_p(t.p_holm), t, bold))
    return lines


def significant_lines(res: Comparison) -> list[str]:
    """One line per significant difference (after Holm), in words; or a line saying none is."""
    out = []
    for t in res.tests:
        if not t.significant or t.level == "study":
            continue
        better, worse = (t.b, t.a) if t.difference > 0 else (t.a, t.b)
        what = _LABELS.get(t.metric, t.metric)
        where = "across studies" if t.level == "across studies" else t.unit
        out.append(f"{t.probe} {what} ({where}): {better} higher than {worse}, difference "
                   f"{t.b} - {t.a} {_f(t.difference)} [{_f(t.difference_ci[0])}, "
                   f"{_f(t.difference_ci[1])}], p Holm {_p(t.p_holm)}")
    for pair in res.pairs:
        rows = res.select("timbre", "study", pair)
        counts = {}
        for t in rows:
            c = counts.setdefault(_LABELS.get(t.metric, t.metric), [0, 0, 0])
            c[2] += 1
            if t.significant:
                c[0 if t.difference > 0 else 1] += 1
        parts = [f"{m} {up} higher, {down} lower of {n}" for m, (up, down, n) in counts.items()
                 if up or down]
        if parts:
            out.append(f"{pair[1]} vs {pair[0]}, single studies where {pair[1]} scores "
                       "significantly higher/lower (Holm over studies): " + "; ".join(parts))
    return out or ["no difference is significant after Holm's correction"]


def format_comparison(res: Comparison, bold: bool = False) -> str:
    """The comparison as a plain-text table (``bold``: ANSI bold on significant cells).

    Significant cells (after Holm) are marked ``*`` (and bold when ``bold``); the closing
    lines say in words which differences are significant.
    """
    s = res.settings
    lines = [f"paired comparison of {len(res.models)} result folders "
             f"({s.get('design')}; {s.get('n_resamples')} resamples, seed {s.get('seed')}, "
             f"alpha {s.get('alpha')} after Holm)"]
    for pair in res.pairs:
        lines += ["", f"{pair[1]} - {pair[0]}  (B = {pair[1]}, A = {pair[0]})"]
        lines += _across_block(res, pair, bold)
        lines += _study_block(res, pair, bold)
        lines += [f"  timbre {skip.reason}" for skip in res.skipped
                  if skip.probe == "timbre" and (skip.a, skip.b) == pair]
        for probe in ("ranking", "gear"):
            lines += _other_block(res, pair, probe, bold)
    lines += ["", "significant after Holm:"] + [f"  {x}" for x in significant_lines(res)]
    lines += [f"note: {n}" for n in res.notes]
    return "\n".join(lines)
