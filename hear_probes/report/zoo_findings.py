"""The findings of ``docs/zoo.md`` about the zoo's layers, built from ``results/``.

Blocks (registered in :mod:`hear_probes.report.docnumbers`):

* ``zoo-layers``: per pretrained layered model and headline score, the best layer (its
  relative depth) and in how many layers the 95 % interval lies above chance: which layers of
  which families carry pitch, level and timbre;
* ``zoo-claims``: the claims of the literature that the zoo tests, each with the verdict the
  committed results give (or "open" with what is missing);
* ``zoo-sweep-times``: the time of each model's sweep (``results/benchmarks/zoo-sweep.json``,
  written by ``benchmarks/zoo_sweep_times.py``).

Verdicts use the rule of :func:`hear_probes.report.zoo_docs.verdict`: a difference only where
the two 95 % intervals are disjoint, otherwise "no difference within the intervals".
"""

from __future__ import annotations

from pathlib import Path

from hear_probes.report.leaderboard import HEADLINES, Best, Headline, ModelRow, best_of
from hear_probes.report.zoo_docs import (
    best_model,
    format_best,
    layer_row,
    model_rows,
    paired_best,
    paired_layer_tests,
    paired_outcome,
    tally,
    verdict,
)

#: Pitch networks by family, smallest first (Kim et al. 2018; Ardaillon & Roebel 2019).
SIZE_SERIES = {"CREPE": ("crepe-tiny", "crepe-small", "crepe-medium", "crepe-large", "crepe"),
               "FCN": ("fcn-929", "fcn-993", "fcn-1953")}
#: What "larger" means in each series (CREPE: the capacity multiplier of Kim et al. 2018, the
#: channels of every block; FCN: the receptive field in samples at 8 kHz that names each net;
#: by weights, FCN-993 is the smallest, 52 MB against 95 MB).
SIZE_ORDER = {"CREPE": "capacity (tiny 4, small 8, medium 16, large 24, full 32)",
              "FCN": "receptive field (929, 993, 1953 samples)"}
#: musicnn's layers by position (adapters/musicnn.py): the front end, then the mid end.
MUSICNN_FRONT = {1: "timbral", 2: "temporal"}
MUSICNN_MID = {3: "cnn1", 4: "cnn2", 5: "cnn3"}
TIMBRE_HEADS = ("timbre_regularised", "timbre_cosine")


def _head(key: str) -> Headline:
    return next(h for h in HEADLINES if h.key == key)


def _layers(row: ModelRow) -> list[int]:
    return sorted({e.layer for e in row.entries if e.layer is not None})


def _above_chance(row: ModelRow, head: Headline) -> tuple[int, int]:
    """(layers whose interval lies above chance, layers with the score and an interval)."""
    above = tested = 0
    for k in _layers(row):
        b = best_of(layer_row(row, k), head)
        if b is None or b.ci is None:
            continue
        tested += 1
        above += int(b.ci[0] > head.chance)
    return above, tested


def _layer_cell(row: ModelRow, head: Headline) -> str:
    best = best_of(row, head)
    if best is None:
        return "n/a"
    n = len(_layers(row))
    k = int(best.label.split("-")[1]) if best.label.startswith("layer-") else None
    where = f"L{k}/{n}" if k is not None else best.label
    above, tested = _above_chance(row, head)
    mark = best.marker(head.chance)
    return f"{where} {best.value:.2f}{mark} · " + (f"{above}/{tested}" if tested else "no intervals")


def layers_block(root: Path) -> str:
    """Best layer and layers above chance, per pretrained layered model and headline score."""
    rows = [r for r in model_rows(root) if r.family != "hand-made" and r.layered]
    if not rows:
        return "No pretrained model has per-layer results yet."
    head = "| model | family | " + " | ".join(f"{h.group}: {h.label}" for h in HEADLINES) + " |"
    lines = [head, "|---|---|" + "---:|" * len(HEADLINES)]
    for r in rows:
        cells = [_layer_cell(r, h) for h in HEADLINES]
        lines.append(f"| {r.name} | {r.family} | " + " | ".join(cells) + " |")
    carried = []
    for h in HEADLINES:
        counts = [_above_chance(r, h) for r in rows]
        n_models = sum(1 for above, _ in counts if above > 0)
        n_scored = sum(1 for _, tested in counts if tested > 0)
        carried.append(f"{h.group}: {h.label} {n_models} of {n_scored}")
    modes: dict[str, int] = {}
    for r in rows:
        for e in r.entries:
            if "ranking" in e.payloads:
                mode = e.payloads["ranking"].get("settings", {}).get("gradient_mode", "")
                key = "forward" if mode.startswith("forward") else "reverse"
                modes[key] = modes.get(key, 0) + 1
    mode_line = (f"\n\nThe ranking `eps` column of {modes.get('forward', 0)} of these layer results "
                 "comes from the forward-mode pass over all layers and of "
                 f"{modes.get('reverse', 0)} from a reverse-mode pass per layer (the same "
                 "derivatives; docs/ranking.md)." if modes else "")
    return ("\n".join(lines) + "\n\n_Each cell: the best layer `Lk/n` (layer k of the model's n), "
            "its value (`*` its 95 % interval above chance, `v` below) and, after the dot, in how "
            "many layers the interval lies above chance, of the layers with the score and an "
            "interval (`default` = the model's default output scored the best)._\n\n"
            "Models with at least one layer above chance, per score: " + "; ".join(carried) + "."
            + mode_line)


def _pitch_claim(rows: list[ModelRow]) -> str:
    """Each pretrained model's best pitch layer against the best hand-made pitch ranking.

    The interval rule for every model, and where both keep per-trial outcomes, exact McNemar
    on the same trials with Holm over every model and both scales.
    """
    from hear_probes.compare.run import apply_holm

    learned = [r for r in rows if r.family != "hand-made"]
    made = [r for r in rows if r.family == "hand-made"]
    cols = []
    for key in ("pitch_coarse", "pitch_fine"):
        h = _head(key)
        ref_row, ref = best_model(made, h)
        if ref is None:
            return "open: no hand-made pitch ranking result"
        cells = []
        for r in learned:
            b = best_of(r, h)
            v = verdict(b, ref, "model", "hand-made")
            if v.startswith("not comparable"):
                continue
            cells.append((v, paired_best(h, (ref_row, ref), (r, b), ("hand-made", "model"),
                                         "pitch claim")))
        cols.append((h, ref_row, ref, cells))
    apply_holm([t for *_, cells in cols for _, t in cells if t is not None])
    parts = []
    for h, ref_row, ref, cells in cols:
        by = tally([v for v, _ in cells])
        by_test = tally([paired_outcome(t, "hand-made", "model") for _, t in cells])
        parts.append(f"{h.label.capitalize()}: of {len(cells)} pretrained models against {ref_row.name} "
                     f"({ref.label}, {format_best(ref)}): by the intervals {by}; "
                     f"by exact McNemar on the same trials (Holm over both scales) {by_test}")
    return ". ".join(parts) + "."


#: the labels of the compared timbre scores (``hear_probes.compare.timbre.TIMBRE_METRICS``)
SCORE_LABELS = {"euclidean_ev": "Euclidean EV", "euclidean_spearman": "Euclidean ρ",
                "cosine_ev": "cosine EV", "cosine_spearman": "cosine ρ",
                "loso_ev": "held-out LOSO EV", "regularised_ev": "held-out regularised EV"}
LAYER_TESTS = "results/zoo/layer-tests.json"


def _contrast_text(c: dict) -> str:
    """One contrast as "A > B on ...": the scores that differ after Holm, by direction."""
    a, b = c["a"]["name"], c["b"]["name"]
    a_higher = [SCORE_LABELS.get(t["metric"], t["metric"]) + f" ({-t['difference']:+.3f})"
                for t in c["across_studies"] if t["significant"] and t["difference"] < 0]
    b_higher = [SCORE_LABELS.get(t["metric"], t["metric"]) + f" ({t['difference']:+.3f})"
                for t in c["across_studies"] if t["significant"] and t["difference"] > 0]
    parts = []
    if a_higher:
        parts.append(f"{a} higher than {b} on {', '.join(a_higher)}")
    if b_higher:
        parts.append(f"{b} higher than {a} on {', '.join(b_higher)}")
    return "; ".join(parts) or f"{a} against {b}: no score differs after Holm"


def _musicnn_tested(root: Path) -> str | None:
    """The claim's verdict from the paired tests of ``results/zoo/layer-tests.json``, if any."""
    import json

    path = root / LAYER_TESTS
    if not path.is_file():
        return None
    models = [m for m in json.loads(path.read_text("utf-8"))["models"]
              if m["model"].startswith("musicnn")]
    if not models:
        return None
    out = []
    for m in models:
        n = sum(len(c["across_studies"]) for c in m["contrasts"])
        held = [t for c in m["contrasts"] for t in c["across_studies"]
                if t["metric"] in ("loso_ev", "regularised_ev")]
        out.append(f"**{m['model']}**: " + "; ".join(_contrast_text(c) for c in m["contrasts"])
                   + f" (held-out scores: {sum(t['significant'] for t in held)} of {len(held)} "
                   f"contrasts differ; Holm over {n} tests)")
    return (" ".join(out) + " (paired tests across the 11 groups of studies that share no "
            f"sound, Wilcoxon signed-rank; in brackets the median over groups of the paired difference; `{LAYER_TESTS}`, "
            "`benchmarks/zoo_layer_tests.py`)")


def _musicnn_claim(rows: dict[str, ModelRow], root: Path | None = None) -> str:
    models = [m for m in ("musicnn-mtt", "musicnn-msd") if m in rows]
    if not models:
        return "open: no musicnn result committed"
    tested = _musicnn_tested(root) if root is not None else None
    if tested is not None:
        return tested
    parts = []
    for m in models:
        row = rows[m]
        for key in TIMBRE_HEADS:
            h = _head(key)
            front = _best_of_layers(row, h, MUSICNN_FRONT)
            mid = _best_of_layers(row, h, MUSICNN_MID)
            if front is None or mid is None:
                parts.append(f"{m} {h.label}: open (front-end or mid-end layers missing)")
                continue
            v = verdict(front[1], mid[1], "front end", "mid end")
            parts.append(f"{m} {h.label}: front end {front[0]} {format_best(front[1])} against mid end "
                         f"{mid[0]} {format_best(mid[1])}: {v}")
    return "; ".join(parts)


def _best_of_layers(row: ModelRow, head: Headline, names: dict[int, str]) -> tuple[str, Best] | None:
    scored = [(names[k], b) for k in names if (b := best_of(layer_row(row, k), head)) is not None]
    return max(scored, key=lambda nb: nb[1].value) if scored else None


SIZE_COLUMNS = ("pitch coarse", "pitch fine")


def _paired_sizes(small: ModelRow, large: ModelRow) -> str | None:
    """Layer by layer, exact McNemar tests of ``large`` against ``small`` on the pitch columns.

    Both must have per-trial ranking outcomes of the same trials in every layer they share;
    Holm over every layer and column. ``None`` when a layer cannot be paired (the caller then
    reads the intervals for the whole comparison, not for a chosen subset of layers).
    """
    heads = [_head(col.replace(" ", "_")) for col in SIZE_COLUMNS]
    cells = paired_layer_tests(small, large, heads, (small.name, large.name), "size")
    if not cells or any(c.test is None for c in cells):
        return None
    parts = []
    for h in heads:
        col_tests = [c.test for c in cells if c.head is h]
        up = [f"{t.unit} ({t.difference:+.3f})" for t in col_tests if t.significant and t.difference > 0]
        down = [f"{t.unit} ({t.difference:+.3f})" for t in col_tests if t.significant and t.difference < 0]
        words = [f"{large.name} higher at {', '.join(up)}" if up else "",
                 f"{small.name} higher at {', '.join(down)}" if down else ""]
        rest = len(col_tests) - len(up) - len(down)
        words.append(f"no difference after Holm at {rest} of {len(col_tests)} layers" if rest else "")
        parts.append(f"{h.label}: " + "; ".join(w for w in words if w))
    return (f"{large.name} against {small.name}, layer by layer (exact McNemar on the same 1000 "
            f"trials, Holm over {len(cells)} tests; accuracy difference in brackets): "
            + " / ".join(parts))


def _size_claim(rows: dict[str, ModelRow]) -> str:
    h = _head("pitch_coarse")
    parts = []
    for family, series in SIZE_SERIES.items():
        have = [(m, b) for m in series if m in rows and (b := best_of(rows[m], h)) is not None]
        if len(have) < 2:
            parts.append(f"{family}: open ({len(have)} size(s) with results)")
            continue
        smallest, largest = have[0], have[-1]
        values = ", ".join(f"{m} {format_best(b)}" for m, b in have)
        paired = _paired_sizes(rows[smallest[0]], rows[largest[0]])
        if paired is None:
            v = verdict(largest[1], smallest[1], largest[0], smallest[0])
            paired = f"largest against smallest: {v} (not paired: per-trial outcomes missing)"
        parts.append(f"{family}, smallest to largest by {SIZE_ORDER[family]}, best-layer pitch "
                     f"coarse accuracy: {values}; {paired}")
    return "; ".join(parts)


def claims_block(root: Path) -> str:
    """The literature's claims that the zoo tests, each with its verdict from ``results/``."""
    rows = model_rows(root)
    by_name = {r.name: r for r in rows}
    gear_crepe = ("tested: `docs/gear.md`, \"CREPE, and the paper's reading of it\" (five seeds); "
                  "per layer in the GEAR columns of the leaderboard and of the layer table above"
                  if "crepe" in by_name else "open: no CREPE result committed")
    lines = ["| claim | source | verdict from `results/` |", "|---|---|---|",
             "| learned representations rank pitch poorly next to spectral distances | "
             f"Turian & Henry (2020) | {_pitch_claim(rows)} |",
             "| the HEAR CREPE baseline is strongly sensitive to f1 and quasi-invariant to α and r | "
             f"Lostanlen, Yan & Yang (2023) | {gear_crepe} |",
             "| musicnn's front-end filters are shaped to capture timbre (vertical filters) and "
             "temporal cues (horizontal filters), so its timbral filters should carry timbre, more "
             "than its temporal filters and its mid end | Pons & Serra (2019) | "
             f"{_musicnn_claim(by_name, root)} |",
             "| larger pitch networks are better pitch estimators | Kim et al. (2018); Ardaillon & "
             f"Roebel (2019) | {_size_claim(by_name)} |"]
    return "\n".join(lines)


def sweep_times_block(root: Path) -> str:
    """Per model, the seconds of each probe's sweep task and their sum (one core)."""
    import json

    from hear_probes.report.docsources import DocSourceError

    path = root / "results" / "benchmarks" / "zoo-sweep.json"
    if not path.is_file():
        raise DocSourceError(f"{path}: missing; run benchmarks/zoo_sweep_times.py (results/regenerate.sh)")
    rows = json.loads(path.read_text("utf-8"))["results"]

    def minutes(x: float | None) -> str:
        return "n/a" if x is None else f"{x / 60:.1f}"

    lines = ["| model | layers | timbre (min) | GEAR (min) | ranking (min) | sweep (min, one core) |",
             "|---|---:|---:|---:|---:|---:|"]
    def cell(r: dict, probe: str) -> str:
        why = (r.get("untimed") or {}).get(probe)
        if why:
            return f"n/a ({why})"
        resumed = (r.get("resumed_run_s") or {}).get(probe)
        if resumed is not None:  # the earlier, interrupted runs of the task are not logged
            return (f"n/a (resumed: last run {minutes(resumed)} for "
                    f"{r['layers_in_run'][probe]} of {r['layers_done'][probe]} layers)")
        return minutes(r["probe_s"][probe])

    for r in rows:
        lines.append(f"| {r['model']} | {r['layers']} | {cell(r, 'timbre')} | {cell(r, 'gear')} | "
                     f"{cell(r, 'ranking')} | {minutes(r['total_core_s'])} |")
    return "\n".join(lines) + "\n\n" + _sweep_total(rows)


def _sweep_total(rows: list[dict]) -> str:
    """The zoo's sweep time in all: models timed in full, and the timed tasks of the others."""
    full = [r for r in rows if r["total_core_s"] is not None]
    rest = [r for r in rows if r["total_core_s"] is None]
    hours = sum(r["total_core_s"] for r in full) / 3600
    text = (f"In all, the {len(full)} models timed in full took {hours:.1f} core-hours, about "
            f"{hours / 2:.1f} h of this 2-core machine with the two workers.")
    if rest:
        timed = sum(v for r in rest for p, v in r["probe_s"].items()
                    if v is not None and (r.get("resumed_run_s") or {}).get(p) is None) / 3600
        names = ", ".join(f"`{r['model']}`" for r in rest)
        verb = "has" if len(rest) == 1 else "have"
        text += (f" {len(rest)} more ({names}) {verb} no full time (a task resumed after an "
                 f"interruption, not finished, or not run on one core); their tasks timed in "
                 f"full add {timed:.1f} "
                 "core-hours, the rest is not counted.")
    return text


DOC_BLOCKS = {
    "zoo-layers": layers_block,
    "zoo-claims": claims_block,
    "zoo-sweep-times": sweep_times_block,
}
