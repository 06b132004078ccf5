"""The timbre probe's report section: its tables, summary-card numbers, layer scores, heatmap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hear_probes.report.render import image_html
from hear_probes.report.tables import Cell, Table, num

if TYPE_CHECKING:  # pragma: no cover - types only
    from hear_probes.report.load import ModelResults

#: The timbre tables of the report, in reading order: what generalises first, the in-sample
#: upper bound last. (table id, key or key path in timbre.json, title, note)
TIMBRE_TABLES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("table-timbre-unlearned", ("unlearned", "cosine", "explained_variance"),
     "Unlearned agreement: cosine distance of the raw embeddings (nothing fitted)",
     "Signed explained variance sign(r)·r² of the Pearson correlation r between 1 − cos and the "
     "ratings; no parameter is fitted to the ratings."),
    ("table-timbre-unlearned-euclidean", ("unlearned", "euclidean", "explained_variance"),
     "Unlearned agreement: Euclidean distance of the raw embeddings (nothing fitted)",
     "Signed explained variance of the Euclidean distance."),
    ("table-timbre-triplets", ("unlearned", "cosine", "triplet_agreement"),
     "Unlearned triplet agreement (cosine distance; 0.5 = chance)",
     "Fraction of anchored triplets whose order the distance keeps, ties ½ (every triplet; not "
     "the timbremetrics packages' radius/margin variant)."),
    ("table-timbre-tm-triplets", ("timbremetrics", "cosine", "hayes_triplet_agreement_package"),
     "timbremetrics (Hayes et al.): triplet agreement as the package computes it (cosine distance)",
     "The package's code: min-max-normalised distances, radius 0.3 and margin 0.1 applied to the "
     "rating matrix as released (upper triangle only, so every sound before the anchor, and the "
     "anchor itself, counts as a positive). Compare with the next table, the same score on "
     "symmetrised ratings without the anchor (docs/timbre.md, 'timbremetrics-compatible scores')."),
    ("table-timbre-tm-triplets-radius", ("timbremetrics", "cosine", "hayes_triplet_agreement_radius"),
     "timbremetrics (Hayes et al.): triplet agreement, symmetrised ratings (cosine distance)",
     "Radius 0.3 and margin 0.1 on symmetrised, min-max-normalised ratings, the anchor excluded: "
     "the definition the package's name promises."),
    ("table-timbre-tm-mantel", ("timbremetrics", "cosine", "mantel_spearman_rho"),
     "Mantel test, Spearman's rho (cosine distance; textbook ranks, sound-label permutations)",
     "Spearman's rho between the condensed distance and rating matrices (average ranks); p from "
     "sound-label permutations. The package's 'Spearman' ranks with a single argsort (the sorting "
     "permutation, not the ranks): its value is hayes_mantel_spearman_package in timbre.json."),
    ("table-timbre-regularised", ("regularised_loso_explained_variance",),
     "Held-out explained variance of the regularised learned metric (nested leave one sound out)",
     "Signed kernel ridge on the squared per-dimension differences, shrunk toward the prior "
     "distance recorded in settings.regularised_spec (unpenalised), strength chosen by inner "
     "leave-one-sound-out; scored on the outer held-out pairs."),
    ("table-timbre-loso", ("loso_explained_variance",),
     "Held-out explained variance of the learned metric (leave one sound out)",
     "Weights learned without the held-out sound, scored on its pairs."),
    ("table-timbre", ("explained_variance",),
     "In-sample explained variance of the learned metric: an upper bound (Pascal & Lagrange 2024, "
     "Table I layout)",
     "Weights fitted and scored on the same pairs: one weight per dimension on 55–276 pairs, so "
     "this rewards capacity; read the held-out tables first. Chance here is the exact optimum "
     "refitted on sound-permuted ratings (often high). 'no positive metric': no non-negative "
     "weighting correlates positively (counted as 0 in the median). 'published' is the paper's "
     "STFT column, computed on mis-paired sounds (docs/timbre.md, 'Erratum')."),
)

#: How every timbre table reads its cells (appended to each note).
CELL_NOTE = (" Cells: score [95 % interval, bootstrap over sounds]; * = above chance (one-sided "
             "sound-permutation p < 0.05), ** = also after Holm across the column's studies; "
             "no mark = not shown above chance. The Median row's interval bootstraps the sounds "
             "of every study jointly. No bold: whether two models differ is tested by "
             "'hear-probes compare'.")


#: How the timbremetrics tables read (no interval, no Holm: the packages define neither).
TIMBREMETRICS_CELL_NOTE = (" Cells: the score, without interval (the packages define none; the "
                           "unlearned tables above carry intervals); * = above chance by the "
                           "one-sided sound-permutation Mantel test (p < 0.05, no Holm "
                           "correction), only where the score has a p-value. Median = median "
                           "over the studies where the score is defined.")


def _timbre_values(timbre: dict, path: tuple[str, ...]) -> dict:
    node = timbre
    for k in path:
        node = node.get(k) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _sibling(timbre: dict, path: tuple[str, ...], suffix: str) -> dict:
    """``K_ci``/``K_p``/... next to the score at ``path`` (empty when absent)."""
    return _timbre_values(timbre, (*path[:-1], path[-1] + suffix))


def _ci_text(ci) -> str:
    lo, hi = (num(ci[0]), num(ci[1])) if isinstance(ci, list) and len(ci) == 2 else (None, None)
    return "" if lo is None or hi is None else f" [{lo:.2f}, {hi:.2f}]"


def _mark(p, p_holm) -> str:
    p, p_holm = num(p), num(p_holm)
    if p is None or p >= 0.05:
        return ""
    return "**" if p_holm is not None and p_holm < 0.05 else "*"


def _median_keys(path: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """Path of the median's interval and the ``summary_subsets`` score key of a table."""
    if path[0] in ("unlearned", "timbremetrics"):
        return (path[0], path[1], "median_ci"), f"{path[1]}_{path[2]}"
    med = {"explained_variance": "median", "loso_explained_variance": "loso_median",
           "regularised_loso_explained_variance": "regularised_loso_median"}[path[0]]
    return (med + "_ci",), path[0]


def _column(timbre: dict, path: tuple[str, ...]) -> dict:
    """Per-study cells of one model: text and value."""
    vals = _timbre_values(timbre, path)
    ci, p, ph = (_sibling(timbre, path, s) for s in ("_ci", "_p", "_p_holm"))
    nopos = set(timbre.get("no_positive_metric") or []) if path == ("explained_variance",) else set()
    out = {}
    for s in set(vals) | nopos:
        if s in nopos:
            out[s] = ("no positive metric", None)
            continue
        v = num(vals.get(s))
        out[s] = ("—", None) if v is None else (
            f"{v:.2f}{_ci_text(ci.get(s))}{_mark(p.get(s), ph.get(s))}", v)
    return out


def _median_cells(timbre: dict, path: tuple[str, ...]) -> tuple[str, str]:
    """Median over all studies and over Table I's 17, with intervals, from timbre.json."""
    ci_path, sub_key = _median_keys(path)
    node = timbre
    for k in ci_path[:-1]:
        node = node.get(k) or {}
    ci = node.get(ci_path[-1])
    if isinstance(ci, dict):
        ci = ci.get(path[-1])
    subsets = timbre.get("unlearned_summary_subsets" if path[0] == "unlearned"
                         else "summary_subsets") or {}

    def cell(name: str) -> str:
        sub = subsets.get(name) or {}
        block = sub.get("scores", sub) if isinstance(sub, dict) else {}
        entry = block.get(sub_key) if isinstance(block, dict) else None
        if not isinstance(entry, dict) or num(entry.get("median")) is None:
            return "—"
        return f"{entry['median']:.2f}{_ci_text(entry.get('median_ci'))} (n={entry.get('n')})"

    all_cell = cell("all")
    if all_cell == "—":  # older files: the stored median without interval
        med = num(_timbre_values(timbre, path[:-1]).get("median", {}).get(path[-1])) \
            if path[0] in ("unlearned", "timbremetrics") else num(timbre.get(ci_path[0][:-3]))
        all_cell = "—" if med is None else f"{med:.2f}{_ci_text(ci)}"
    return all_cell, cell("table1_17")


def timbre_table(results: list[ModelResults], key: str | tuple[str, ...] = "explained_variance"
                 ) -> Table | None:
    """Rows = studies (Table I order, then the others), columns = models; medians with intervals.

    ``key`` is a key of timbre.json or the id of one of :data:`TIMBRE_TABLES`
    (``"loso_explained_variance"``, ``"table-timbre-unlearned"``, ...). The in-sample table
    gets a ``published`` column when a result carries the paper's STFT values.
    """
    from hear_probes.stimuli.timbre import table_order

    spec = next((t for t in TIMBRE_TABLES if t[0] == key or t[1] == (key,) or t[1] == key), None)
    if spec is None:
        raise ValueError(f"unknown timbre table {key!r}")
    table_id, path, title, note = spec
    models = [r for r in results if "timbre" in r.probes and _timbre_values(r.probes["timbre"], path)]
    if not models:
        return None
    cols = [(r.name, _column(r.probes["timbre"], path)) for r in models]
    medians = [_median_cells(r.probes["timbre"], path) for r in models]
    if path == ("explained_variance",):
        published = next((r.probes["timbre"]["published_stft_explained_variance"] for r in results
                          if (r.probes.get("timbre") or {}).get("published_stft_explained_variance")), None)
        if published:
            pub = {s: (f"{v:.2f}", float(v)) for s, v in published.items() if num(v) is not None}
            cols = [("published (P&L 2024, STFT)", pub)] + cols
            vals = [float(v) for v in published.values() if num(v) is not None]
            medians = [(f"{np.median(vals):.2f}" if vals else "—", "—")] + medians
    studies = table_order({s for _, c in cols for s in c})
    cell_note = TIMBREMETRICS_CELL_NOTE if path[0] == "timbremetrics" else CELL_NOTE
    table = Table(table_id, title, ["study"] + [name for name, _ in cols], note=note + cell_note)
    for s in studies:
        cells = [c.get(s, ("—", None)) for _, c in cols]
        if all(v is None and text == "—" for text, v in cells):
            continue
        table.rows.append([Cell(s)] + [Cell(text, v) for text, v in cells])
    table.footer.append([Cell("Median, all studies")] + [Cell(m[0]) for m in medians])
    if any(m[1] != "—" for m in medians):
        table.footer.append([Cell("Median, Table I's 17")] + [Cell(m[1]) for m in medians])
    return table


def timbre_tables(results: list[ModelResults]) -> list[Table | None]:
    """Every timbre table of :data:`TIMBRE_TABLES` that has data, in reading order."""
    return [timbre_table(results, t[0]) for t in TIMBRE_TABLES]


def _reference_name(timbre: dict) -> str:
    """Name of the robustness reference of a ``timbre.json`` payload."""
    ref = timbre.get("robustness_reference")
    return str(ref["name"]) if isinstance(ref, dict) and ref.get("name") else "?"


def robustness_table(results: list[ModelResults]) -> Table | None:
    """Relative robustness (dB) against each result's named reference; rows = studies."""
    from hear_probes.stimuli.timbre import table_order

    cols = [r for r in results if r.probes.get("timbre", {}).get("relative_area_db")]
    if not cols:
        return None
    refs = sorted({_reference_name(r.probes["timbre"]) for r in cols})
    table = Table("table-robustness", f"Relative robustness in dB against {', '.join(refs)} (Fig. 1b layout)",
                  ["study"] + [r.name for r in cols],
                  note="10·log10(area_model / area_reference) of the explained-variance curve over "
                       "log10 δ ∈ [−1, 1]; positive = more robust than the reference.")
    for s in table_order({k for r in cols for k in r.probes["timbre"]["relative_area_db"]}):
        vals = [num(r.probes["timbre"]["relative_area_db"].get(s)) for r in cols]
        if all(v is None for v in vals):
            continue
        table.rows.append([Cell(s)] + [Cell("—" if v is None else f"{v:+.2f}", v,
                                            css="" if v is None else ("good" if v > 0 else "bad"))
                                       for v in vals])
    return table if table.rows else None


def summary(res: ModelResults) -> list[tuple[str, str, str]]:
    """Summary-card numbers: unlearned, held-out and in-sample median signed EV with intervals."""
    out: list[tuple[str, str, str]] = []
    timbre = res.probes.get("timbre", {})
    n = len(timbre.get("explained_variance") or {})
    unl = ((timbre.get("unlearned") or {}).get("cosine") or {})
    cos = num(unl.get("median", {}).get("explained_variance"))
    if cos is not None:
        ci = _ci_text((unl.get("median_ci") or {}).get("explained_variance"))
        out.append(("timbre unlearned", f"{cos:.2f}{ci}",
                    f"median signed EV of the raw cosine distance, nothing fitted, {n} studies "
                    "(95 % interval: bootstrap over sounds)"))
    for key, label, why in (("regularised_loso_median", "timbre regularised held-out",
                             "median held-out signed EV of the regularised learned metric (nested LOSO)"),
                            ("loso_median", "timbre held-out", "median held-out (LOSO) signed EV of the learned metric")):
        if num(timbre.get(key)) is not None:
            out.append((label, f"{float(timbre[key]):.2f}{_ci_text(timbre.get(key + '_ci'))}",
                        f"{why}, {n} studies"))
    if num(timbre.get("median")) is not None:
        out.append(("timbre in-sample (upper bound)",
                    f"{float(timbre['median']):.2f}{_ci_text(timbre.get('median_ci'))}",
                    f"median in-sample signed EV of the learned metric: fitted and scored on the same pairs, {n} studies"))
    return out


def layer_scores(payload: dict) -> dict[str, float | list | None]:
    """Scores plotted against layer depth: unlearned (cosine), regularised held-out and held-out
    (LOSO) median signed EV; each with its interval under ``<score>_ci`` when the result has one."""
    out: dict[str, float | list | None] = {}
    unl = ((payload.get("unlearned") or {}).get("cosine") or {})
    cos = unl.get("median") or {}
    if num(cos.get("explained_variance")) is not None:
        out["unlearned EV (cosine)"] = num(cos.get("explained_variance"))
        out["unlearned EV (cosine)_ci"] = (unl.get("median_ci") or {}).get("explained_variance")
    for key, label in (("regularised_loso_median", "held-out EV (regularised)"),
                       ("loso_median", "held-out EV (LOSO)")):
        if num(payload.get(key)) is not None:
            out[label] = num(payload.get(key))
            out[label + "_ci"] = payload.get(key + "_ci")
    if not out and num(payload.get("median")) is not None:
        out["learned EV"] = num(payload.get("median"))
    return {k: v for k, v in out.items() if v is not None}


def tables(results: list[ModelResults]) -> list[Table | None]:
    """The timbre section's tables: every :data:`TIMBRE_TABLES` one, then robustness (dB)."""
    return [*timbre_tables(results), robustness_table(results)]


def robustness_heatmap(results: list[ModelResults], images: str,
                       output: Path | None = None) -> tuple[str, str]:
    """Studies x representations dB heatmap (Fig. 1b) when two or more results have a sweep."""
    swept = {r.name: r.probes["timbre"] for r in results
             if r.probes.get("timbre", {}).get("robustness")}
    if len(swept) < 2:
        return "", ""
    import tempfile

    from hear_probes.probes.timbre.figures import plot_relative_db_heatmap

    with tempfile.TemporaryDirectory() as tmp:
        png = plot_relative_db_heatmap(swept, Path(tmp) / "timbre_relative_db.png")
        return image_html(png, "relative robustness (dB) across representations, Fig. 1b layout",
                          images), ""
