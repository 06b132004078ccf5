"""Generated ranking blocks of ``docs/ranking.md`` and ``docs/layers.md``.

Each builder returns the text of one marked block from the committed result files; nothing in
it is typed by hand. ``python -m hear_probes.report.docnumbers --write`` fills them (with every
other result number of the docs) and ``--check`` is what ``tests/test_docs_numbers.py`` runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hear_probes.probes.ranking.accuracy import (
    CHANCE,
    binomial_p,
    chance_verdict,
    holm_adjust,
    wilson_interval,
)

__all__ = ["DOC_BLOCKS", "fmt_cell", "verdict", "render"]

COLUMNS = (("pitch", "eps", "pitch ε"), ("pitch", "fine", "pitch ±30 c"),
           ("pitch", "coarse", "pitch ±600 c"), ("level", "eps", "level ε"),
           ("level", "fine", "level ±2 dB"), ("level", "coarse", "level ±10 dB"))
PAPER_ROWS = ("spectrogram", "log-spectrogram", "mel", "mfcc", "mss", "log-mss", "log2-centroid")
WITHIN = 0.05


def _load(root: Path, rel: str) -> dict | None:
    p = root / rel
    return json.loads(p.read_text()) if p.exists() else None


def _rep(payload: dict) -> dict:
    return next(iter(payload["representations"].values()))


def _get(block: dict, key: str, dim: str, scale: str):
    return ((block.get(key) or {}).get(dim) or {}).get(scale)


def fmt_cell(rep: dict, dim: str, scale: str, ties: bool = True) -> str:
    """``0.567 [0.51, 0.62]`` (``[N ties]`` when some trials tie) or ``n/a (3 decided)``."""
    acc = _get(rep, "accuracy", dim, scale)
    n_ties = _get(rep, "n_ties", dim, scale) or 0
    if not isinstance(acc, (int, float)):
        m = _get(rep, "n_decided", dim, scale)
        if m is None and isinstance(n_ties, int):
            m = rep.get("n_trials", 0) - n_ties
        return f"n/a ({m} decided)" if m else f"n/a ({n_ties} ties)" if n_ties else "n/a"
    ci = _get(rep, "accuracy_ci", dim, scale) or _get(rep, "ci95", dim, scale)
    text = f"{acc:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{acc:.3f}"
    if ties and n_ties:
        text += f" [{n_ties} ties]"
    return text


def p_value(rep: dict, dim: str, scale: str) -> float | None:
    """The stored binomial p, or the one its accuracy and decided trials give (older files)."""
    stored = _get(rep, "accuracy_p", dim, scale)
    if isinstance(stored, (int, float)):
        return float(stored)
    acc = _get(rep, "accuracy", dim, scale)
    if not isinstance(acc, (int, float)):
        return None
    m = _get(rep, "n_decided", dim, scale)
    if m is None:
        m = rep.get("n_trials", 0) - (_get(rep, "n_ties", dim, scale) or 0)
    return binomial_p(round(acc * m), m)


def verdict(rep: dict, dim: str, scale: str) -> str:
    """The stored chance verdict, or the one its interval gives (files older than issue 21)."""
    stored = _get(rep, "chance_verdict", dim, scale)
    if stored:
        return stored
    ci = _get(rep, "accuracy_ci", dim, scale) or _get(rep, "ci95", dim, scale)
    return chance_verdict(ci)


def _verdicts(rep: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"above chance": [], "below chance": [],
                                 "not distinguishable from chance": [], "n/a": []}
    for dim, scale, label in COLUMNS:
        out.setdefault(verdict(rep, dim, scale), []).append(label)
    return out


def _published(rep: dict, dim: str, scale: str) -> float | None:
    return _get(rep, "published", dim, scale)


# -- docs/ranking.md ---------------------------------------------------------------------------
def table1(root: Path) -> str:
    """The reproduction table: every cell with its interval, ties and the published value."""
    payload = _load(root, "results/distances/ranking.json")
    st = payload["settings"]
    lines = [f"{st['n_trials']} trials, seed {st['seed']}, {st['duration_s']:g} s, "
             f"{st['sample_rate']} Hz, {st['precision']}, tie rule `{st['tie_rule']}` "
             f"(rtol {st['tie_rtol']:g}); accuracy over decided trials with its Wilson 95 % "
             "interval, `[N ties]` left out, published value in parentheses, **off** where it "
             f"is more than {WITHIN} away; `n/a (N decided)`: fewer than {st['min_decided']} "
             "decided trials.", "",
             "| distance | power | frames | " + " | ".join(c[2] for c in COLUMNS) + " |",
             "|---|---|---|" + "---|" * len(COLUMNS)]
    for rep in payload["representations"].values():
        hp = rep.get("hyperparameters") or {}
        frames = "centred" if hp.get("center", True) else "uncentred"
        cells = []
        for dim, scale, _ in COLUMNS:
            text = fmt_cell(rep, dim, scale)
            pub = _published(rep, dim, scale)
            acc = _get(rep, "accuracy", dim, scale)
            if pub is not None:
                text += f" ({pub:.3f})"
                if not isinstance(acc, (int, float)) or abs(acc - pub) > WITHIN:
                    text += " **off**"
            cells.append(text)
        lines.append(f"| {rep['display_name']} | {hp.get('power', '')} | {frames} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def _paper_cells(reps: dict):
    for name in PAPER_ROWS:
        rep = reps[name]
        for dim in ("pitch", "level"):
            for scale in ("fine", "coarse"):
                yield name, rep, dim, scale, rep["published"][dim][scale]


def _readings(reps32: dict, reps64: dict) -> dict[str, list[str]]:
    """Per reading of ties, the Table 1 cells more than ``WITHIN`` from the paper."""
    readings = {"ties left out": [], "ties as ½": [], "strict, float32": [], "strict, float64": []}
    for name, rep, dim, scale, pub in _paper_cells(reps32):
        label = f"{rep['display_name']} {dim} {scale}"
        values = {"ties left out": _get(rep, "accuracy", dim, scale),
                  "ties as ½": _get(rep, "accuracy_ties_as_half", dim, scale),
                  "strict, float32": _get(rep["tie_sensitivity"]["strict"], "accuracy", dim, scale)}
        if name in reps64:
            values["strict, float64"] = _get(reps64[name]["tie_sensitivity"]["strict"],
                                             "accuracy", dim, scale)
        for reading, v in values.items():
            if not isinstance(v, (int, float)) or abs(v - pub) > WITHIN:
                shown = f"{v:.3f}" if isinstance(v, (int, float)) else "n/a"
                readings[reading].append(f"{label} {shown} vs {pub:.3f}")
    if not reps64:
        readings.pop("strict, float64")
    return readings


def ties_strict(root: Path) -> str:
    """Default rule against the strict ``<`` (float32 and float64) and ties as coin flips."""
    p32 = _load(root, "results/distances/ranking.json")
    p64 = _load(root, "results/distances-float64/ranking.json")
    reps32 = p32["representations"]
    reps64 = p64["representations"] if p64 else {}
    lines = ["| distance | column | default (ties out) | ties as ½ | strict, float32 "
             "[exact equalities] | strict, float64 [exact equalities] | published |",
             "|---|---|---|---|---|---|---|"]
    for name, rep in reps32.items():
        sens = rep["tie_sensitivity"]
        for dim, scale, label in COLUMNS:
            if not _get(rep, "n_ties", dim, scale):
                continue
            row = [rep["display_name"], label, fmt_cell(rep, dim, scale),
                   f"{_get(rep, 'accuracy_ties_as_half', dim, scale):.3f}"]
            for src in (sens, (reps64.get(name) or {}).get("tie_sensitivity")):
                if not src:
                    row.append("not run")
                    continue
                a = _get(src["strict"], "accuracy", dim, scale)
                ci = _get(src["strict"], "accuracy_ci", dim, scale)
                eq = _get(src["strict"], "n_exact_equal", dim, scale)
                row.append(f"{a:.3f} [{ci[0]:.2f}, {ci[1]:.2f}] [{eq}]")
            pub = _published(rep, dim, scale)
            row.append("" if pub is None else f"{pub:.3f}")
            lines.append("| " + " | ".join(row) + " |")
    readings = _readings(reps32, reps64)
    lines += ["", f"Cells of Table 1 within {WITHIN} of the paper (28 fine/coarse cells of its "
              "seven rows), per reading, and the cells off:", ""]
    lines += [f"- {k}: **{28 - len(off)}** of 28" + (f"; off: {'; '.join(off)}" if off else "")
              for k, off in readings.items()]
    return "\n".join(lines)


def tie_sensitivity(root: Path) -> str:
    """Accuracy and ties at each tolerance, for the cells where the tolerance matters."""
    payload = _load(root, "results/distances/ranking.json")
    reps = payload["representations"]
    rtols = next(iter(reps.values()))["tie_sensitivity"]["rtol"]
    lines = ["| distance | column | " + " | ".join(f"rtol {r:g}" for r in rtols) + " |",
             "|---|---|" + "---|" * len(rtols)]
    stable = 0
    for rep in reps.values():
        sens = rep["tie_sensitivity"]
        for dim, scale, label in COLUMNS:
            ties = _get(sens, "n_ties", dim, scale)
            if ties is None:
                continue
            if len(set(ties)) == 1:
                stable += 1
                continue
            accs = _get(sens, "accuracy", dim, scale)
            n, least = rep["n_trials"], rep.get("min_decided", 1)
            cells = [("n/a" if a is None or n - t < least else f"{a:.3f}") + f" ({t})"
                     for a, t in zip(accs, ties, strict=True)]
            lines.append(f"| {rep['display_name']} | {label} | " + " | ".join(cells) + " |")
    lines += ["", f"Cells are `accuracy (ties)`, n/a where fewer than the minimum of decided "
              f"trials remain; the other {stable} cells have the same tie count, hence the same "
              "accuracy, at every tolerance."]
    return "\n".join(lines)


def _half_width(n: int) -> str:
    lo, hi = wilson_interval(n / 2, n)
    return f"95 % interval ±{(hi - lo) / 2:.3f} at 0.5"


def _module_row(root: Path, folder: str) -> tuple[str, dict, dict] | None:
    payload = _load(root, f"results/{folder}/ranking.json")
    if payload is None:
        return None
    return folder, payload, _rep(payload)


def crepe(root: Path) -> str:
    """CREPE through its HEAR module: every cell with its interval and the chance verdict."""
    lines = ["| model (folder) | trials | " + " | ".join(c[2] for c in COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    notes = []
    for folder in ("crepe", "crepe-classifier-input", "crepe-tiny-classifier-input"):
        row = _module_row(root, folder)
        if row is None:
            continue
        _, payload, rep = row
        n = payload["settings"]["n_trials"]
        lines.append(f"| {rep['display_name']} (`results/{folder}`) | {n} | "
                     + " | ".join(fmt_cell(rep, d, s) for d, s, _ in COLUMNS) + " |")
        v = _verdicts(rep)
        said = [f"{k}: {', '.join(cols)}" for k, cols in v.items() if cols and k != "n/a"]
        notes.append(f"- {rep['display_name']}, {n} trials ({_half_width(n)}): " + "; ".join(said)
                     + (f"; n/a: {', '.join(v['n/a'])}" if v["n/a"] else "") + ".")
    return "\n".join(lines + [""] + notes)


# -- docs/layers.md ----------------------------------------------------------------------------
def near_far(rep: dict, dim: str = "pitch", scale: str = "fine", octave: float = 12.0) -> str:
    """Accuracy within the first ``|Δpitch|`` bin and pooled beyond an octave, with intervals."""
    table = rep.get("by_pitch_interval")
    cell = ((table or {}).get(dim) or {}).get(scale)
    if not cell:
        return "n/a"
    edges = table["edges_semitones"]
    m, k = np.array(cell["n_decided"]), np.array(cell["n_correct"])
    far = np.array(edges[:-1]) >= octave
    out = []
    for mm, kk in ((m[0], k[0]), (m[far].sum(), k[far].sum())):
        if mm == 0:
            out.append("n/a")
            continue
        lo, hi = wilson_interval(float(kk), int(mm))
        out.append(f"{kk / mm:.2f} [{lo:.2f}, {hi:.2f}] (n {mm})")
    return " / ".join(out)


def layers_ranking(root: Path) -> str:
    """Per CREPE block, the three pitch columns with intervals, tiny and full."""
    lines = ["| block | tiny trials | tiny pitch ε / ±30 c / ±600 c | tiny ±30 c within a "
             "semitone / beyond an octave | full trials | full pitch ε / ±30 c / ±600 c | "
             "full ±30 c within a semitone / beyond an octave |",
             "|---:|---:|---|---|---:|---|---|"]
    away: list[str] = []
    tested: list[tuple[str, float]] = []
    for k in range(1, 7):
        cells = []
        for model in ("crepe-tiny-layers", "crepe-layers"):
            payload = _load(root, f"results/{model}/layer-{k}/ranking.json")
            if payload is None:
                cells += ["", "not run", ""]
                continue
            rep = _rep(payload)
            cells += [str(payload["settings"]["n_trials"]),
                      " / ".join(fmt_cell(rep, "pitch", s, ties=False)
                                 for s in ("eps", "fine", "coarse")),
                      near_far(rep) if rep.get("by_pitch_interval") else "not in this file"]
            for dim, scale, label in COLUMNS:
                p = p_value(rep, dim, scale)
                if p is not None:
                    tested.append((f"{model.removesuffix('-layers')} block {k} {label}", p))
                v = verdict(rep, dim, scale)
                if v in ("above chance", "below chance"):
                    away.append(f"{model.removesuffix('-layers')} block {k} {label} "
                                f"({fmt_cell(rep, dim, scale, ties=False)}, {v})")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    counts = sorted({int(c) for row in lines[2:] for c in row.split(" | ")[1:]
                     if c.strip().isdigit()})
    lines.append("")
    lines.append("Trials per block: " + ", ".join(f"{n} ({_half_width(n)})" for n in counts) + ".")
    if away:
        lines.append(f"Cells whose 95 % interval excludes chance ({CHANCE:g}): "
                     + "; ".join(away) + ". Every other pitch cell's interval contains "
                     f"{CHANCE:g}.")
    else:
        lines.append(f"Every pitch cell's 95 % interval contains chance ({CHANCE:g}).")
    if tested:
        adj = holm_adjust(np.array([p for _, p in tested]))
        kept = [name for (name, _), q in zip(tested, adj, strict=True) if q < 0.05]
        lines.append(
            f"Of the {len(tested)} cells tested (exact binomial test against {CHANCE:g}), about "
            f"{0.05 * len(tested):.1f} would exclude chance at the 5 % level by chance alone; "
            "after Holm's correction over them, "
            + (f"{len(kept)} {'remains' if len(kept) == 1 else 'remain'}: {', '.join(kept)}."
               if kept else "none remains."))
    return "\n".join(lines)


#: The ranking blocks of the docs, filled by ``python -m hear_probes.report.docnumbers``
#: (the one generator of every result number in README.md and docs/): name -> builder of the
#: block's text from the repository root.
def layer_gradients(root: Path) -> str:
    """Forward-mode group pass against reverse mode per layer: time and agreement, per model."""
    import json

    files = sorted((root / "results" / "benchmarks").glob("layer-gradients-*.json"))
    if not files:
        raise FileNotFoundError("results/benchmarks/layer-gradients-*.json: missing; run "
                             "benchmarks/bench_layer_gradients.py (results/regenerate.sh)")
    lines = ["| model | layers | trials | reverse, a pass per layer (s, all layers) | forward, two dual "
             "passes (s) | forward, tangents in one vmapped pass (s) | speed-up over reverse "
             "| largest difference (tie-test units) | same eps score | machine |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for path in files:
        d = json.loads(path.read_text("utf-8"))
        machine = "idle" if d.get("machine", {}).get("idle") else "shared (times are upper bounds)"
        if "forward_dual_s" in d:
            dual, vmapped = f"{d['forward_dual_s']:.1f}", f"{d['forward_s']:.1f}"
        else:  # measured before tangent batching: its forward pass was the two dual passes
            dual, vmapped = f"{d['forward_s']:.1f}", "not measured"
        lines.append(f"| {d['model']} | {len(d['layers'])} | {d['settings']['trials']} | "
                     f"{d['reverse_s']:.1f} | {dual} | {vmapped} | {d['speedup']:.2f}× | "
                     f"{d['worst_max_diff_over_scale']:.1e} | {100 * d['worst_same_score']:.1f} % | "
                     f"{machine} |")
    return ("\n".join(lines) + "\n\n_Speed-up: reverse against the forward pass the probe runs (the "
            "vmapped one where measured). Largest difference: the largest |forward - reverse| "
            "derivative over trials, layers and both columns, divided by the tie test's scale (a "
            "derivative below 1e-6 of it is a tie). Same eps score: the share of trials scored "
            "alike, in the worst layer and column._")


DOC_BLOCKS: dict[str, Callable[[Path], str]] = {
    "ranking-layer-gradients": layer_gradients,
    "ranking-table1": table1,
    "ranking-ties-strict": ties_strict,
    "ranking-tie-sensitivity": tie_sensitivity,
    "ranking-crepe": crepe,
    "layers-ranking": layers_ranking,
}


def render(name: str, root: Path) -> str:
    """The text of block ``name`` from the results under ``root`` (the repository root)."""
    return DOC_BLOCKS[name](root).rstrip("\n")
