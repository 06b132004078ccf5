"""The GEAR tables of ``docs/gear.md``, generated from ``results/`` (never typed by hand).

Each renderer builds one marked block (``<!-- results:gear-paper -->`` ... ``<!-- /results -->``)
from the committed ``gear.json`` files; ``python -m hear_probes.report.docnumbers --write`` fills
them with every other result number of the docs, and ``tests/test_docs_numbers.py`` fails when
a document and ``results/`` disagree.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["BLOCKS", "DOC_BLOCKS", "holm", "paired_differences", "render_block"]

#: Rows of the results tables: (label, result folder relative to ``results/``).
MODELS = (
    ("waveform (16000)", "waveform"),
    ("random-projection (512)", "random-projection"),
    ("stft (513)", "stft"),
    ("logmel (4096)", "logmel"),
    ("crepe (HEAR baseline, 2048)", "crepe"),
    ("crepe-classifier-input (2048)", "crepe-classifier-input"),
    ("crepe-tiny-classifier-input (256)", "crepe-tiny-classifier-input"),
)
#: Calibration rows (``results/gear-calibration``, written by ``hear_probes.probes.gear.calibration``).
CALIBRATION = (("ideal (3: the factors)", "gear-calibration/ideal"),
               ("noise (64: N(0, 1))", "gear-calibration/noise"))
#: Layer rows: CREPE's conv blocks.
LAYERS = tuple((f"{net} block {k}", f"{net}-layers/layer-{k}")
               for net in ("crepe-tiny", "crepe") for k in range(1, 7))
SCORES = (("knn_r2_k10", "kNN R² K=10"), ("knn_r2_k40", "kNN R² K=40"),
          ("isomap_linear_r2", "Isomap-linear R²"), ("sensitivity", "sensitivity ρ"),
          ("distance_effect", "distance effect"))
FACTOR_NAMES = {"alpha": "α", "centroid": "centroid", "oddeven": "odd–even", "f0": "f0"}


def _fmt(value, ci=None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.{digits}f}"
    if isinstance(ci, list) and len(ci) == 2 and None not in ci:
        text += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return text


def _load(results: Path, folder: str, file: str = "gear.json") -> dict | None:
    path = results / folder / file
    return json.loads(path.read_text()) if path.is_file() else None


def _score_table(results: Path, rows: tuple, sub: str = "") -> str:
    """One row per model and factor: every score as mean [95 % t interval over seeds]."""
    header = ["model", "factor", *(label for _, label in SCORES), "median \\|log ratio\\|"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    missing = []
    for label, folder in rows:
        payload = _load(results, f"{folder}/{sub}" if sub else folder)
        if payload is None:
            missing.append(f"`results/{folder}{'/' + sub if sub else ''}`")
            continue
        if payload.get("schema_version", 1) < 2:
            label = f"{label}, one seed (schema 1: no interval)"
        for i, (name, block) in enumerate(payload["factors"].items()):
            cells = [label if i == 0 else "", FACTOR_NAMES.get(name, name)]
            cells += [_fmt(block.get(key), block.get(f"{key}_ci")) for key, _ in SCORES]
            lr, lr_ci = block.get("knn_log_ratio", {}), block.get("knn_log_ratio_ci", {})
            cells.append(_fmt(lr.get("median_abs"), lr_ci.get("median_abs")))
            lines.append("| " + " | ".join(cells) + " |")
    if missing:
        lines += ["", "Not committed: " + ", ".join(missing) + "."]
    return "\n".join(lines)


def _chance_line(results: Path, rows: tuple, sub: str = "") -> str:
    """The measured chance levels of the kNN scores (permutation null), over the rows shown."""
    vals: dict[str, list[float]] = {"knn_r2_k10": [], "knn_r2_k40": []}
    pvals: list[float] = []
    seeds = set()
    for _, folder in rows:
        payload = _load(results, f"{folder}/{sub}" if sub else folder)
        if payload is None:
            continue
        seeds.add(payload.get("seeds", {}).get("interval_method", ""))
        for block in payload["factors"].values():
            for key, out in vals.items():
                if block.get(f"{key}_chance") is not None:
                    out.append(block[f"{key}_chance"])
                if block.get(f"{key}_p") is not None:
                    pvals.append(block[f"{key}_p"])
    if not vals["knn_r2_k10"]:
        return ""
    rng = {k: f"{min(v):.3f} to {max(v):.3f}" for k, v in vals.items()}
    method = "; ".join(sorted(s for s in seeds if s))
    return (f"Intervals: {method}. Chance (factor values shuffled over the tones, "
            f"{len(vals['knn_r2_k10'])} model × factor cells): kNN R² K=10 {rng['knn_r2_k10']}, "
            f"K=40 {rng['knn_r2_k40']}; largest permutation p-value of a kNN R² over these cells "
            f"and seeds: {max(pvals):.3f} (199 shuffles: 0.005 is the smallest possible). The other "
            f"scores are 0 for an embedding unrelated to the factor.")


def _paper(results: Path) -> str:
    return _score_table(results, MODELS) + "\n\n" + _chance_line(results, MODELS)


#: Rows of the perceptual-variant table (``results/<model>/gear-perceptual``).
PERCEPTUAL_MODELS = tuple(m for m in MODELS if not m[1].endswith("classifier-input"))


def _perceptual(results: Path) -> str:
    return (_score_table(results, PERCEPTUAL_MODELS, "gear-perceptual") + "\n\n"
            + _chance_line(results, PERCEPTUAL_MODELS, "gear-perceptual"))


def _calibration(results: Path) -> str:
    return _score_table(results, CALIBRATION)


def _layers(results: Path) -> str:
    return _score_table(results, LAYERS)


def holm(pvalues: list[float]) -> list[float]:
    """Holm-adjusted p-values (:func:`hear_probes.stats.holm`; NaN entries stay NaN)."""
    from hear_probes.stats import holm as _holm

    return _holm(pvalues).tolist()


def paired_differences(model: dict, baseline: dict) -> list[tuple[str, str, float, float]]:
    """``(factor, score, mean difference, paired-t p)`` of ``model - baseline`` over seeds.

    Both payloads must come from the same seeds (then seed s saw the same tones in both).
    """
    from scipy.stats import ttest_rel

    if model.get("seeds", {}).get("seeds") != baseline.get("seeds", {}).get("seeds"):
        return []
    out = []
    for name, block in model["factors"].items():
        base = baseline["factors"].get(name, {})
        for key, _ in SCORES:
            a, b = block.get(f"{key}_seeds"), base.get(f"{key}_seeds")
            if not a or not b or len(a) != len(b) or None in a or None in b:
                continue
            diff = [x - y for x, y in zip(a, b, strict=True)]
            p = float("nan") if max(diff) == min(diff) else float(ttest_rel(a, b).pvalue)
            out.append((name, key, sum(diff) / len(diff), p))
    return out


def _versus(results: Path, baseline: str, rows: tuple) -> str:
    """Paired differences to a baseline over the seeds, Holm-corrected across the table."""
    base = _load(results, baseline)
    if base is None:
        return f"`results/{baseline}` is not committed."
    cells, labels = [], []
    for label, folder in rows:
        payload = _load(results, folder)
        if folder == baseline or payload is None or payload.get("schema_version", 1) < 2:
            continue
        labels.append(label)
        cells.append((label, paired_differences(payload, base)))
    adjusted = iter(holm([p for _, diffs in cells for *_, p in diffs]))
    header = ["model", "factor", *(label for _, label in SCORES)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, diffs in cells:
        by_factor: dict[str, list[str]] = {}
        for name, _key, mean, _p in diffs:
            q = next(adjusted)
            mark = ("▲" if mean > 0 else "▼") if q == q and q < 0.05 else "n.s."
            text = f"{mean:+.3f}" if abs(mean) >= 5e-4 or mean == 0 else f"{mean:+.1e}"
            by_factor.setdefault(name, []).append(f"{text} {mark}")
        for i, (name, texts) in enumerate(by_factor.items()):
            lines.append("| " + " | ".join([label if i == 0 else "", FACTOR_NAMES.get(name, name),
                                              *texts]) + " |")
    return "\n".join(lines)


def _versus_waveform(results: Path) -> str:
    return _versus(results, "waveform", MODELS)


#: Block name -> renderer(results dir) -> Markdown.
BLOCKS = {"gear-paper": _paper, "gear-perceptual": _perceptual,
          "gear-calibration": _calibration, "gear-layers": _layers,
          "gear-vs-waveform": _versus_waveform}


def render_block(name: str, results: Path) -> str:
    """The Markdown of block ``name`` from the ``results`` folder."""
    if name not in BLOCKS:
        raise KeyError(f"unknown docs block {name!r}; known: {', '.join(BLOCKS)}")
    return BLOCKS[name](Path(results)).strip()


def _from_root(name: str):
    return lambda root: render_block(name, Path(root) / "results")


#: The GEAR blocks of the docs, filled by ``python -m hear_probes.report.docnumbers``: name ->
#: builder of the block's text from the repository root.
DOC_BLOCKS = {name: _from_root(name) for name in BLOCKS}
