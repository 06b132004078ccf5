"""The GEAR probe's report section: its table, summary-card numbers, layer scores and links."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hear_probes.probes.gear.schema import GEAR_SCORES, SCORES
from hear_probes.report.render import esc, md_text, relative_href
from hear_probes.report.tables import Cell, Table, num
from hear_probes.stimuli.gear import PAPER_FACTORS as FACTORS

if TYPE_CHECKING:  # pragma: no cover - types only
    from hear_probes.report.load import ModelResults

#: The scores in the report's GEAR table (key, label), from the one list (:mod:`.schema`).
TABLE_SCORES = [(key, SCORES[key]) for key in GEAR_SCORES[:4]]


def _gear_score(block: dict, key: str) -> float | None:
    return num(block.get(key))


def _ci_text(block: dict, key: str, digits: int = 2) -> str:
    """`` [lo, hi]`` from ``block[key + "_ci"]``, or an empty string without an interval."""
    ci = block.get(f"{key}_ci")
    if not isinstance(ci, (list, tuple)) or len(ci) != 2:
        return ""
    lo, hi = num(ci[0]), num(ci[1])
    return "" if lo is None or hi is None else f" [{lo:.{digits}f}, {hi:.{digits}f}]"


def _median_abs_log_ratio(block: dict) -> tuple[float | None, str]:
    """The median |log ratio| and its interval text (None for results without it)."""
    lr = block.get("knn_log_ratio") if isinstance(block.get("knn_log_ratio"), dict) else {}
    v = num(lr.get("median_abs"))
    cis = block.get("knn_log_ratio_ci") if isinstance(block.get("knn_log_ratio_ci"), dict) else {}
    return v, _ci_text({"m_ci": cis.get("median_abs")}, "m", 3)


def gear_table(results: list[ModelResults]) -> Table | None:
    """Factor scores: one row per model and factor, one column per score (mean [95 % CI])."""
    header = ["model", "factor"] + [label for _, label in TABLE_SCORES] + ["median |log ratio|"]
    table = Table("table-gear", "GEAR factor scores (1 = the factor is fully recoverable; ≈ 0 = not encoded)",
                  header, note="Mean over seeds [95 % t interval over seeds]; a seed draws the tones "
                               "(f1 per cell), the CV folds and the pair subsample. kNN R²: "
                               "leave-one-out kNN regression of the factor (chance ≈ −1/K, permutation "
                               "null in gear.json); Isomap linear R²: best linear map from the 3 Isomap "
                               "coordinates; sensitivity: Spearman ρ between embedding distance and "
                               "|Δ factor|; median |log ratio|: median over tones of |ln(kNN estimate / "
                               "truth)|, K = 40 (Lostanlen et al. Fig. 4; 0 = exact). n/a: result "
                               "written before schema 2. Definitions in docs/gear.md.")
    for res in results:
        factors = res.probes.get("gear", {}).get("factors", {})
        for f in FACTORS:
            if f not in factors:
                continue
            block = factors[f]
            row = [Cell(res.name), Cell(f)]
            for key, _ in TABLE_SCORES:
                v = _gear_score(block, key)
                text = "n/a" if v is None else f"{v:.2f}{_ci_text(block, key)}"
                row.append(Cell(text, v, css="na" if v is None else _score_class(v)))
            v, ci = _median_abs_log_ratio(block)
            row.append(Cell("n/a" if v is None else f"{v:.3f}{ci}", v))
            table.rows.append(row)
    return table if table.rows else None


def _score_class(v: float) -> str:
    return "good" if v >= 0.8 else ("chance" if v < 0.2 else "mid")


def summary(res: ModelResults) -> list[tuple[str, str, str]]:
    """Summary-card numbers: kNN R² (K=10) of each factor."""
    out: list[tuple[str, str, str]] = []
    gear = res.probes.get("gear", {}).get("factors", {})
    for f in FACTORS:
        if f in gear:
            v = _gear_score(gear[f], "knn_r2_k10")
            text = "n/a" if v is None else f"{v:.2f}{_ci_text(gear[f], 'knn_r2_k10')}"
            out.append((f, text, "GEAR kNN R² (K=10), mean [95 % t interval] over seeds"))
    return out


def layer_scores(payload: dict) -> dict[str, float | None]:
    """Scores plotted against layer depth: kNN R² (K=10) of each factor, with its interval over
    seeds under ``<score>_ci`` when the result has it."""
    factors = payload.get("factors") or {}
    out: dict = {}
    for f in FACTORS:
        if f not in factors:
            continue
        block = factors.get(f) or {}
        out[f"{f} kNN R²"] = num(block.get("knn_r2_k10"))
        ci = block.get("knn_r2_k10_ci")
        if out[f"{f} kNN R²"] is not None and isinstance(ci, (list, tuple)) and len(ci) == 2:
            out[f"{f} kNN R²_ci"] = [num(ci[0]), num(ci[1])]
    return out


def tables(results: list[ModelResults]) -> list[Table | None]:
    """The GEAR section's tables."""
    return [gear_table(results)]


def interactive_links(results: list[ModelResults], images: str,
                      output: Path | None) -> tuple[str, str]:
    """Links to the interactive 3-D Isomap views (``gear_isomap.html``, too big to embed)."""
    html_items, md_items = [], []
    for r in results:
        page = r.folder / "gear_isomap.html"
        if not page.is_file():
            continue
        href = relative_href(page, output)  # ./…, percent-encoded: never a script URL
        size = page.stat().st_size / 1e6
        html_items.append(f'<li><a href="{esc(href)}">{esc(r.name)}: interactive 3-D Isomap '
                          f"(gear_isomap.html, {size:.1f} MB)</a></li>")
        label = md_text(r.name).replace("[", "\\[").replace("]", "\\]")
        md_items.append(f"- [{label}: interactive 3-D Isomap (gear_isomap.html, {size:.1f} MB)]({href})")
    if not html_items:
        return "", ""
    note = ('<p class="note">Interactive views (separate files next to the results; they open in '
            "the browser and need the result folder alongside this report):</p>")
    return note + "<ul>" + "".join(html_items) + "</ul>", "\n".join(md_items) + "\n"
