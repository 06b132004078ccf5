"""Score against layer depth, per probe, with models overlaid (``--layers`` results).

A result folder belongs to a layer when its model id ends in ``@layer-K`` (what
``hear-probes evaluate --layers`` and ``hear-probes sweep`` write into ``<out>/layer-K/``).
Each probe says which of its scores are read (``ReportSection.layer_scores``) and how they
read (``ReportSection.layer_note``, joined into the table's note).

A probe's ``layer_scores`` may give a score ``S`` its 95 % interval under ``S_ci``
(``[low, high]``): the curve of ``S`` is then drawn with an interval band. Every axis starts
at chance or zero (accuracies on [0, 1] with 0.5 marked; other scores from 0, or lower when a
value does, to 1), so that small differences do not look like trends.

:func:`layer_section` gives the report's HTML and Markdown: one PNG per probe (one panel per
score, one line per model) and one table (model, layer, scores).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from hear_probes.atomic import save_figure
from hear_probes.layers import split_layer_id
from hear_probes.report.load import ModelResults
from hear_probes.report.render import esc, image_html, table_html, table_markdown
from hear_probes.report.tables import Cell, Table


def _model_id(res: ModelResults) -> str:
    return str(res.model.get("model_id") or res.name)


def probe_scores() -> dict[str, tuple[str, Callable[[dict], dict[str, float | None]]]]:
    """Probe → (section title, scores of one payload), from the probe registry."""
    from hear_probes.probes.registry import probes

    return {name: (p.title, p.report.layer_scores) for name, p in probes().items()}


def layer_curves(results: list[ModelResults]) -> dict[str, dict[str, dict[str, list[tuple[int, float]]]]]:
    """``{probe: {score: {model: [(layer, value), ...] sorted by layer}}}`` of layer results."""
    out: dict[str, dict[str, dict[str, list[tuple[int, float]]]]] = {}
    scores_of = probe_scores()
    for res in results:
        parsed = split_layer_id(_model_id(res))
        if parsed is None:
            continue
        base, k = parsed
        for probe, payload in res.probes.items():
            if probe not in scores_of:
                continue
            scores = scores_of[probe][1](payload)
            for score, value in scores.items():
                if value is None or score.endswith("_ci"):
                    continue
                ci = scores.get(score + "_ci")
                point = (k, value) if ci is None else (k, value, *ci)
                out.setdefault(probe, {}).setdefault(score, {}).setdefault(base, []).append(point)
    for scores in out.values():
        for models in scores.values():
            for pts in models.values():
                pts.sort()
    return out


def _set_axis(ax, score: str, models: dict, banded: bool) -> None:
    """Axis from chance or zero, never stretched around the data.

    An accuracy (chance 0.5) is drawn on [0, 1] with chance marked; any other score (signed
    explained variance, R², both 0 at chance or below) starts at 0, or lower when a value or
    a band does, and ends at 1 or higher, so that a difference of 0.02 does not fill the panel.
    """
    points = [p for pts in models.values() for p in pts]
    lows = [p[1] for p in points] + ([p[2] for p in points if len(p) == 4] if banded else [])
    highs = [p[1] for p in points] + ([p[3] for p in points if len(p) == 4] if banded else [])
    if "accuracy" in score:
        ax.set_ylim(0.0, 1.0)
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        return
    low = min([0.0, *[v for v in lows if v is not None]])
    high = max([1.0, *[v for v in highs if v is not None]])
    ax.set_ylim(low - 0.02 * (high - low), high + 0.02 * (high - low))
    ax.axhline(0.0, color="grey", lw=0.8, ls="--")


def plot_probe(probe: str, scores: dict[str, dict[str, list[tuple[int, float]]]], path: Path) -> Path:
    """One panel per score, score against layer index, one line per model; PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(scores)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), squeeze=False)
    for ax, score in zip(axes[0], names, strict=True):
        banded = False
        for model, pts in sorted(scores[score].items()):
            ks, vs = [p[0] for p in pts], [p[1] for p in pts]
            line, = ax.plot(ks, vs, marker="o", ms=3, label=model)
            if all(len(p) == 4 and p[2] is not None and p[3] is not None for p in pts):
                ax.fill_between(ks, [p[2] for p in pts], [p[3] for p in pts],
                                color=line.get_color(), alpha=0.2, lw=0)
                banded = True
        _set_axis(ax, score, scores[score], banded)
        ax.set_title(score, fontsize=10)
        ax.set_xlabel("layer")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(f"{probe_scores()[probe][0]}: score against layer depth", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def layer_table(curves: dict) -> Table | None:
    """Model x layer rows, one column per (probe, score)."""
    cols = [(p, s) for p in probe_scores() if p in curves for s in curves[p]]
    if not cols:
        return None
    rows: dict[tuple[str, int], dict[tuple[str, str], float]] = {}
    for p, s in cols:
        for model, pts in curves[p][s].items():
            for k, v, *ci in pts:
                rows.setdefault((model, k), {})[(p, s)] = (v, *ci)
    from hear_probes.probes.registry import probes

    legend = "; ".join(p.report.layer_note for p in probes().values() if p.report.layer_note)
    table = Table("table-layers", "Scores by layer", ["model", "layer"] + [s for _, s in cols],
                  note=f"{legend}, [95 % interval] when the result has one.")
    for (model, k) in sorted(rows):
        vals = rows[(model, k)]
        table.rows.append([Cell(model), Cell(str(k), k)] + [
            Cell("n/a", None, css="na") if (p, s) not in vals else _value_cell(vals[(p, s)])
            for p, s in cols])
    return table


def _value_cell(point: tuple) -> Cell:
    """``value`` or ``value [low, high]`` when the score has an interval."""
    v, *ci = point
    if len(ci) == 2 and ci[0] is not None and ci[1] is not None:
        return Cell(f"{v:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]", v)
    return Cell(f"{v:.3f}", v)


def write_layer_figures(folders, out_dir: str | Path) -> list[Path]:
    """``<out_dir>/layers_<probe>.png`` (score against layer) for the layer result folders."""
    from hear_probes.report.load import collect_results

    curves = layer_curves(collect_results(folders))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return [plot_probe(p, curves[p], Path(out_dir) / f"layers_{p}.png") for p in probe_scores()
            if p in curves]


def layer_section(results: list[ModelResults], images: str = "compact") -> tuple[str, str]:
    """HTML and Markdown of the "Layers" report section ("" when no result is a layer)."""
    curves = layer_curves(results)
    if not curves:
        return "", ""
    table = layer_table(curves)
    figs = []
    with tempfile.TemporaryDirectory() as tmp:
        for probe, (title, _) in probe_scores().items():
            if probe in curves:
                png = plot_probe(probe, curves[probe], Path(tmp) / f"layers_{probe}.png")
                figs.append(image_html(png, f"{title}: score against layer", images))
    html = (f'<section id="layers"><h2>{esc("Layers")}</h2>' + "".join(figs)
            + (table_html(table) if table else "") + "</section>")
    md = "## Layers\n\n" + (table_markdown(table) if table else "") + "\n"
    return html, md
