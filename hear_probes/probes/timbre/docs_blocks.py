"""The timbre tables of docs/timbre.md, generated from ``results/`` (never typed by hand).

Each builder returns one marked block (``<!-- results:timbre-NAME -->`` ...
``<!-- /results -->``); ``python -m hear_probes.report.docnumbers --write`` fills them with every
other result number of the docs, and ``tests/test_docs_numbers.py`` fails when a document and
``results/`` disagree.

Blocks: ``summary`` (medians over all studies and over Table I's 17 with their intervals,
and how many studies are above chance, per model), ``ablation`` (the regularised metric's
design comparison, ``results/stft/timbre_regularised_ablation.json``), ``chance``
(per-study chance calls of ``stft``), ``erratum-table``, ``erratum-check`` and
``statistics-cost``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "timbre.md"
RESULTS = ROOT / "results"
#: Models of the summary block, in order.
SUMMARY_MODELS = ("stft", "logmel", "crepe", "crepe-classifier-input", "crepe-tiny-classifier-input")


def _load(model: str, results: Path) -> dict | None:
    p = results / model / "timbre.json"
    return json.loads(p.read_text("utf-8")) if p.is_file() else None


def _ci(v) -> str:
    return "" if not v or None in v else f" [{v[0]:.2f}, {v[1]:.2f}]"


def _cell(entry: dict | None) -> str:
    if not entry or entry.get("median") is None:
        return "—"
    return f"{entry['median']:.2f}{_ci(entry.get('median_ci'))}"


def _above(payload: dict, key_path: tuple[str, ...]) -> str:
    """``k / n`` studies above chance (p < 0.05) and after Holm."""
    node = payload
    for k in key_path[:-1]:
        node = node.get(k) or {}
    p = node.get(key_path[-1] + "_p") or {}
    ph = node.get(key_path[-1] + "_p_holm") or {}
    vals = [v for v in p.values() if v is not None]
    if not vals:
        return "—"
    raw = sum(v < 0.05 for v in vals)
    adj = sum(v is not None and v < 0.05 for v in ph.values())
    return f"{raw} / {len(vals)} ({adj} Holm)"


_SCORES = (
    ("unlearned cosine", ("unlearned", "cosine", "explained_variance"), "cosine_explained_variance"),
    ("regularised held-out", ("regularised_loso_explained_variance",),
     "regularised_loso_explained_variance"),
    ("LOSO held-out", ("loso_explained_variance",), "loso_explained_variance"),
    ("in-sample (upper bound)", ("explained_variance",), "explained_variance"),
)


def summary_block(results: Path = RESULTS) -> str:
    """Median signed EV over all studies and over Table I's 17, with intervals and chance calls."""
    lines = ["| model | score | median, all studies [95 % CI] | median, Table I's 17 [95 % CI] "
             "| studies above chance (p < 0.05) |", "|---|---|---|---|---|"]
    for model in SUMMARY_MODELS:
        payload = _load(model, results)
        if payload is None or "summary_subsets" not in payload:  # absent or older than schema 3
            continue
        for label, path, sub_key in _SCORES:
            subsets = payload.get("unlearned_summary_subsets" if path[0] == "unlearned"
                                  else "summary_subsets") or {}

            def entry(name: str, subsets=subsets, sub_key=sub_key) -> dict | None:
                block = subsets.get(name) or {}
                block = block.get("scores", block)
                return block.get(sub_key)

            n_all = (entry("all") or {}).get("n", "?")
            lines.append(f"| {model} | {label} | {_cell(entry('all'))} (n = {n_all}) | "
                         f"{_cell(entry('table1_17'))} | {_above(payload, path)} |")
    return "\n".join(lines) + "\n"


def ablation_block(results: Path = RESULTS) -> str:
    """The regularised metric's design comparison (one row per variant, per model)."""
    files = [results / m / "timbre_regularised_ablation.json" for m in SUMMARY_MODELS]
    files = [p for p in files if p.is_file()]
    if not files:
        return "(no results/*/timbre_regularised_ablation.json found)\n"
    out = []
    for p in files:
        data = json.loads(p.read_text("utf-8"))
        out += [f"`{data['model']}` (`{p.relative_to(results.parent) if p.is_relative_to(results.parent) else p}`):",
                "",
                "| variant | median, all [95 % CI] | minus first row [95 % CI] | median, Table I's 17 "
                "[95 % CI] | above chance | smallest γ picked | largest finite γ picked | ∞ picked |",
                "|---|---|---|---|---|---|---|---|"]
        for name, v in data["variants"].items():
            out.append(
                f"| {name} | {v['median_all']:.3f}{_ci3(v['median_all_ci'])} | "
                f"{v.get('median_all_minus_first', float('nan')):+.3f}"
                f"{_ci3(v.get('median_all_minus_first_ci'))} | "
                f"{v['median_table1_17']:.3f}{_ci3(v['median_table1_17_ci'])} | "
                f"{v['n_above_chance_all']} / {v['n_all']} | {100 * v['low_edge_pick_rate']:.0f} % | "
                f"{100 * v['high_edge_pick_rate']:.0f} % | {100 * v['inf_pick_rate']:.0f} % |")
        out.append("")
    data = json.loads(files[0].read_text("utf-8"))
    out.append(f"Intervals: {data['interval_method']}; differences: {data.get('difference_method', '')}; "
               f"chance: {data['chance_method']}.")
    return "\n".join(out) + "\n"


def _ci3(v) -> str:
    return "" if not v or None in v else f" [{v[0]:.3f}, {v[1]:.3f}]"


def chance_block(results: Path = RESULTS, model: str = "stft") -> str:
    """Per-study scores of one model with interval and chance call (p, Holm)."""
    payload = _load(model, results)
    if payload is None:
        return f"(results/{model}/timbre.json not found)\n"
    cos = payload["unlearned"]["cosine"]
    cols = (("unlearned cosine", cos, "explained_variance"),
            ("regularised held-out", payload, "regularised_loso_explained_variance"),
            ("LOSO held-out", payload, "loso_explained_variance"),
            ("in-sample", payload, "explained_variance"))
    lines = ["| study | " + " | ".join(c[0] for c in cols) + " | in-sample chance (null median, 95th pct) |",
             "|---|" + "---|" * (len(cols) + 1)]
    for study in payload["explained_variance"]:
        cells = []
        for _, node, key in cols:
            v = (node.get(key) or {}).get(study)
            if key == "explained_variance" and study in (payload.get("no_positive_metric") or []):
                cells.append("no positive metric")
                continue
            if v is None:
                cells.append("—")
                continue
            p = (node.get(key + "_p") or {}).get(study)
            ph = (node.get(key + "_p_holm") or {}).get(study)
            mark = "" if p is None or p >= 0.05 else ("**" if ph is not None and ph < 0.05 else "*")
            cells.append(f"{v:.2f}{_ci((node.get(key + '_ci') or {}).get(study))}{mark}")
        ch = (payload.get("explained_variance_chance") or {}).get(study)
        cells.append("—" if not ch or None in ch else f"{ch[0]:.2f}, {ch[1]:.2f}")
        lines.append(f"| {study} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def erratum_check_block(results: Path = RESULTS) -> str:
    """Unlearned cosine scores of the released (mis-paired) order against the correct one."""
    rows = ["| pairing | signed EV, median [95 % CI] | triplet agreement, median [95 % CI] "
            "| EV above chance (p < 0.05) |", "|---|---|---|---|"]
    for label, folder in (("released order (mis-paired)", "stft-released-order"),
                          ("correct (sorted file names)", "stft")):
        payload = _load(folder, results)
        if payload is None:
            continue
        sub = (payload.get("unlearned_summary_subsets") or {}).get("table1_17") or {}
        cos = (payload.get("unlearned") or {}).get("cosine") or {}
        p = cos.get("explained_variance_p") or {}
        from hear_probes.probes.timbre.summaries import paper_studies

        keep = [p[s] for s in paper_studies() if p.get(s) is not None]
        rows.append(f"| {label} | {_cell(sub.get('cosine_explained_variance'))} | "
                    f"{_cell3(sub.get('cosine_triplet_agreement'))} | "
                    f"{sum(v < 0.05 for v in keep)} / {len(keep)} |")
    return "\n".join(rows) + "\n"


def _cell3(entry: dict | None) -> str:
    if not entry or entry.get("median") is None:
        return "—"
    return f"{entry['median']:.3f}{_ci3(entry.get('median_ci'))}"


def erratum_table_block(results: Path = RESULTS) -> str:
    """Published STFT column vs the released order vs the correct pairing (erratum.csv)."""
    import csv

    import numpy as np

    p = results / "stft-released-order" / "erratum.csv"
    stft = _load("stft", results) or {}
    if not p.is_file():
        return "(results/stft-released-order/erratum.csv not found)\n"
    with p.open(newline="") as f:
        rows = list(csv.DictReader(f))
    opt = stft.get("explained_variance_max") or {}
    lines = ["| study | published | released order | diff | within ±0.03 | correct pairing "
             "| correct, exact optimum |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        o = opt.get(r["study"])
        lines.append(f"| {r['study']} | {float(r['published']):.2f} | {float(r['released_order']):.3f} | "
                     f"{float(r['diff']):+.3f} | {'yes' if r['within_0_03'] == 'True' else 'no'} | "
                     f"{float(r['correct_pairing']):.3f} | {'—' if o is None else f'{o:.3f}'} |")
    col = lambda k: [float(r[k]) for r in rows]  # noqa: E731
    within = sum(r["within_0_03"] == "True" for r in rows)
    within5 = sum(abs(float(r["diff"])) <= 0.05 for r in rows)
    opt_med = np.median([opt[r["study"]] for r in rows if opt.get(r["study"]) is not None]) if opt else None
    lines.append(f"| **median** | {np.median(col('published')):.2f} | {np.median(col('released_order')):.3f} "
                 f"| | **{within} of {len(rows)}** ({within5} within 0.05) | "
                 f"**{np.median(col('correct_pairing')):.3f}** | "
                 f"{'—' if opt_med is None else f'{opt_med:.3f}'} |")
    return "\n".join(lines) + "\n"


def statistics_cost_block(results: Path = RESULTS) -> str:
    """Cost of the intervals and chance levels (results/benchmarks/timbre_statistics_stft.json)."""
    p = results / "benchmarks" / "timbre_statistics_stft.json"
    if not p.is_file():
        return "(results/benchmarks/timbre_statistics_stft.json not found)\n"
    d = json.loads(p.read_text("utf-8"))
    fx, null = d["fixed_predictions"], d.get("in_sample_null") or {}
    lines = ["| part | work | CPU seconds | wall seconds, measured in one process | wall seconds "
             "in the probe (2 worker processes for the refits) |", "|---|---|---|---|---|",
             f"| bootstrap + Mantel permutations, every score family | {fx['studies']} studies × "
             f"{len(fx['predictors'])} predictors, {fx['n_bootstrap']} resamples, "
             f"{fx['n_permutations']} permutations | {fx['cpu_seconds']:.1f} | "
             f"{fx['wall_seconds']:.1f} | {fx['wall_seconds']:.1f} |"]
    total_wall = fx["wall_seconds"]
    if null:
        wall = null.get("wall_seconds_one_process", null["cpu_seconds"])
        lines.append(f"| in-sample null (exact optimum refitted) | {null['fits']} fits at "
                     f"{null['dim']} dims, {null['cpu_ms_per_fit']:.1f} ms each | "
                     f"{null['cpu_seconds']:.1f} | {wall:.1f} | {wall / 2:.1f} (estimate: half) |")
        lines.append(f"| **total** | | {fx['cpu_seconds'] + null['cpu_seconds']:.1f} | "
                     f"{total_wall + wall:.1f} | **{total_wall + wall / 2:.1f}** |")
    lines.append("")
    lines.append(f"1-minute load average when measured: {d.get('load_average_1min')} (2 cores).")
    return "\n".join(lines) + "\n"


BLOCKS: dict[str, Callable[[Path], str]] = {
    "statistics-cost": statistics_cost_block,
    "erratum-table": erratum_table_block,
    "summary": summary_block, "ablation": ablation_block, "chance": chance_block,
    "erratum-check": erratum_check_block,
}


def _from_root(builder: Callable[[Path], str]) -> Callable[[Path], str]:
    return lambda root: builder(Path(root) / "results")


#: The timbre blocks of the docs (``<!-- results:timbre-NAME -->``), filled by
#: ``python -m hear_probes.report.docnumbers``: name -> builder from the repository root.
DOC_BLOCKS: dict[str, Callable[[Path], str]] = {
    f"timbre-{name}": _from_root(builder) for name, builder in BLOCKS.items()}
