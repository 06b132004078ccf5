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
     "Squared Pearson correlation between 1 − cos and the ratings; no parameter is fitted to the "
     "ratings. Best per row in bold."),
    ("table-timbre-unlearned-euclidean", ("unlearned", "euclidean", "explained_variance"),
     "Unlearned agreement: Euclidean distance of the raw embeddings (nothing fitted)",
     "Squared Pearson correlation between the Euclidean distance and the ratings."),
    ("table-timbre-triplets", ("unlearned", "cosine", "triplet_agreement"),
     "Unlearned triplet agreement (cosine distance; 0.5 = chance)",
     "Fraction of anchored triplets whose order the distance keeps, ties ½ (every triplet; not "
     "the timbremetrics packages' radius/margin variant)."),
    ("table-timbre-regularised", ("regularised_loso_explained_variance",),
     "Held-out explained variance of the regularised learned metric (nested leave one sound out)",
     "Kernel ridge on the standardised squared per-dimension differences, shrunk toward the "
     "calibrated Euclidean distance (signed weights), strength chosen by inner "
     "leave-one-sound-out; scored on the outer held-out pairs."),
    ("table-timbre-loso", ("loso_explained_variance",),
     "Held-out explained variance of the learned metric (leave one sound out)",
     "Weights learned without the held-out sound, scored on its pairs."),
    ("table-timbre", ("explained_variance",),
     "In-sample explained variance of the learned metric: an upper bound (Pascal & Lagrange 2024, "
     "Table I layout)",
     "Weights fitted and scored on the same pairs: one weight per dimension on 55–276 pairs, so "
     "this rewards capacity; read the held-out tables first. 'published' is the paper's STFT "
     "column, computed on mis-paired sounds (docs/timbre.md, 'Erratum')."),
)


def _timbre_values(timbre: dict, path: tuple[str, ...]) -> dict:
    node = timbre
    for k in path:
        node = node.get(k) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def timbre_table(results: list[ModelResults], key: str | tuple[str, ...] = "explained_variance"
                 ) -> Table | None:
    """Rows = studies (Table I order, then the others), columns = models; median and IQR.

    ``key`` is a key of timbre.json or the id of one of :data:`TIMBRE_TABLES`
    (``"loso_explained_variance"``, ``"table-timbre-unlearned"``, ...). The in-sample table
    gets a ``published`` column when a result carries the paper's STFT values.
    """
    from hear_probes.stimuli.timbre import table_order

    spec = next((t for t in TIMBRE_TABLES if t[0] == key or t[1] == (key,) or t[1] == key), None)
    if spec is None:
        raise ValueError(f"unknown timbre table {key!r}")
    table_id, path, title, note = spec
    cols = [(r.name, _timbre_values(r.probes["timbre"], path)) for r in results
            if "timbre" in r.probes and _timbre_values(r.probes["timbre"], path)]
    if not cols:
        return None
    if path == ("explained_variance",):
        published = next((r.probes["timbre"]["published_stft_explained_variance"] for r in results
                          if (r.probes.get("timbre") or {}).get("published_stft_explained_variance")), None)
        if published:
            cols = [("published (P&L 2024, STFT)", published)] + cols
    studies = table_order({s for _, vals in cols for s in vals})
    table = Table(table_id, title, ["study"] + [name for name, _ in cols], note=note + " Best per row in bold.")
    values = np.full((len(studies), len(cols)), np.nan)
    for j, (_, vals) in enumerate(cols):
        for i, s in enumerate(studies):
            v = num(vals.get(s))
            values[i, j] = np.nan if v is None else v
    keep = ~np.all(np.isnan(values), axis=1)
    for i in np.flatnonzero(keep):
        best = np.nanmax(values[i]) if np.any(~np.isnan(values[i])) else None
        row = [Cell(studies[i])]
        for v in values[i]:
            row.append(Cell("—" if np.isnan(v) else f"{v:.2f}", None if np.isnan(v) else float(v),
                            bold=best is not None and not np.isnan(v) and np.isclose(v, best)))
        table.rows.append(row)
    kept = values[keep]
    with np.errstate(all="ignore"):
        med = [np.nanmedian(kept[:, j]) if np.isfinite(kept[:, j]).any() else np.nan for j in range(len(cols))]
        iqr = [np.nanpercentile(kept[:, j], 75) - np.nanpercentile(kept[:, j], 25)
               if np.isfinite(kept[:, j]).any() else np.nan for j in range(len(cols))]
    top = np.nanmax(med) if np.isfinite(med).any() else np.nan
    table.footer.append([Cell("Median")] + [Cell("—" if np.isnan(m) else f"{m:.2f}", None if np.isnan(m) else float(m),
                                                 bold=bool(np.isclose(m, top))) for m in med])
    table.footer.append([Cell("Interquartile range")] + [Cell("—" if np.isnan(q) else f"{q:.2f}",
                                                              None if np.isnan(q) else float(q)) for q in iqr])
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
    """Summary-card numbers: unlearned, held-out and in-sample median explained variance."""
    out: list[tuple[str, str, str]] = []
    timbre = res.probes.get("timbre", {})
    n = len(timbre.get("explained_variance") or {})
    cos = num(((timbre.get("unlearned") or {}).get("cosine") or {}).get("median", {}).get("explained_variance"))
    if cos is not None:
        out.append(("timbre unlearned", f"{cos:.2f}",
                    f"median explained variance of the raw cosine distance, nothing fitted, {n} studies"))
    for key, label, why in (("regularised_loso_median", "timbre regularised held-out",
                             "median held-out EV of the regularised learned metric (nested LOSO)"),
                            ("loso_median", "timbre held-out", "median held-out (LOSO) EV of the learned metric")):
        if num(timbre.get(key)) is not None:
            out.append((label, f"{float(timbre[key]):.2f}", f"{why}, {n} studies"))
    if num(timbre.get("median")) is not None:
        out.append(("timbre in-sample (upper bound)", f"{float(timbre['median']):.2f}",
                    f"median in-sample EV of the learned metric: fitted and scored on the same pairs, {n} studies"))
    return out


def layer_scores(payload: dict) -> dict[str, float | None]:
    """Scores plotted against layer depth: unlearned (cosine), regularised held-out and held-out
    (LOSO) median EV."""
    out: dict[str, float | None] = {}
    cos = (((payload.get("unlearned") or {}).get("cosine") or {}).get("median") or {})
    if num(cos.get("explained_variance")) is not None:
        out["unlearned EV (cosine)"] = num(cos.get("explained_variance"))
    if num(payload.get("regularised_loso_median")) is not None:
        out["held-out EV (regularised)"] = num(payload.get("regularised_loso_median"))
    if num(payload.get("loso_median")) is not None:
        out["held-out EV (LOSO)"] = num(payload.get("loso_median"))
    if not out and num(payload.get("median")) is not None:
        out["learned EV"] = num(payload.get("median"))
    return out


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
