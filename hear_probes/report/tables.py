"""Report tables as plain data (rendered to HTML and Markdown by ``render``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hear_probes.report.load import ModelResults

RANKING_COLUMNS = [("pitch", "eps", "pitch ε"), ("pitch", "fine", "pitch ±30 c"),
                   ("pitch", "coarse", "pitch ±600 c"), ("level", "eps", "level ε"),
                   ("level", "fine", "level ±2 dB"), ("level", "coarse", "level ±10 dB")]
GEAR_FACTORS = ("f1", "alpha", "r")
GEAR_SCORES = [("knn_r2_k10", "kNN R² K=10"), ("knn_r2_k40", "kNN R² K=40"),
               ("isomap_linear_r2", "Isomap linear R²"), ("sensitivity", "sensitivity ρ")]


@dataclass
class Cell:
    """One table cell: display text, optional numeric value, hover title, style flags."""

    text: str
    value: float | None = None
    title: str = ""
    css: str = ""
    bold: bool = False


@dataclass
class Table:
    """A titled table with a header row, data rows and optional footer rows."""

    id: str
    title: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    footer: list[list[Cell]] = field(default_factory=list)
    note: str = ""


def _num(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


#: Trials of a full ranking run; rows with another count are labelled with it.
DEFAULT_TRIALS = 1000


def accuracy_class(acc: float | None, ci: tuple[float, float] | None = None) -> str:
    """CSS class of an accuracy: below chance, near chance, middling, good (≥ 0.8).

    With a 95 % interval, "below chance" needs the whole interval below 0.5 and "near chance"
    means the interval contains 0.5 (so a 50-trial result is not painted red by noise);
    without one, fixed bands around 0.5 are used.
    """
    if acc is None:
        return "na"
    if acc >= 0.8:
        return "good"
    if ci is not None and None not in ci:
        lo, hi = ci
        if hi < 0.5:
            return "bad"
        return "chance" if lo <= 0.5 <= hi else "mid"
    if acc < 0.45:
        return "bad"
    if acc <= 0.55:
        return "chance"
    return "mid"


def ranking_cell(entry) -> Cell:
    """Cell of the ranking table from a float, a summary dict or an 'n/a' record."""
    if isinstance(entry, dict):
        acc = _num(entry.get("accuracy"))
        if acc is None:
            reason = str(entry.get("reason") or entry.get("status") or "not available")
            return Cell("n/a", None, reason, "na")
        ci = entry.get("ci95")
        if isinstance(ci, (list, tuple)) and len(ci) == 2:
            lo, hi = _num(ci[0]), _num(ci[1])
            title = f"95 % CI [{lo:.3f}, {hi:.3f}], n = {entry.get('n_trials', '?')}"
            return Cell(f"{acc:.3f} [{lo:.2f}, {hi:.2f}]", acc, title, accuracy_class(acc, (lo, hi)))
        return Cell(f"{acc:.3f}", acc, "", accuracy_class(acc))
    acc = _num(entry)
    if acc is None:
        return Cell("n/a", None, str(entry) if entry else "not available", "na")
    return Cell(f"{acc:.3f}", acc, "", accuracy_class(acc))


def _ranking_entries(payload: dict) -> dict[str, dict]:
    """``{representation: {dim: {scale: cell}}}`` from a ranking.json.

    The probe writes ``representations[name] = {"accuracy": {dim: {scale: float | "n/a"}},
    "ci95": {dim: {scale: [lo, hi]}}, "n_trials", "na_reason": {"dim.scale": why}}``.
    """
    out: dict[str, dict] = {}
    for rep, block in (payload.get("representations") or {}).items():
        acc, ci = block.get("accuracy", {}), block.get("ci95", {})
        reasons = block.get("na_reason", {}) or {}
        cells: dict[str, dict] = {}
        for dim in ("pitch", "level"):
            cells[dim] = {}
            for scale in ("eps", "fine", "coarse"):
                value = (acc.get(dim) or {}).get(scale)
                if _num(value) is None:
                    cells[dim][scale] = {"accuracy": None, "reason": reasons.get(f"{dim}.{scale}", "n/a")}
                else:
                    cells[dim][scale] = {"accuracy": value, "ci95": (ci.get(dim) or {}).get(scale),
                                         "n_trials": block.get("n_trials")}
        name = str(block.get("display_name") or rep)
        n = block.get("n_trials")
        if isinstance(n, int) and n != DEFAULT_TRIALS:  # e.g. a --quick run: say so in the row
            name = f"{name} ({n} trials)"
        out[name] = cells
    return out


def ranking_table(results: list[ModelResults]) -> Table | None:
    """Turian & Henry's Table 1 layout: rows = representations, 6 columns."""
    table = Table("table-ranking", "Pitch and level ranking accuracy (Turian & Henry 2020, Table 1 layout)",
                  ["representation"] + [c[2] for c in RANKING_COLUMNS],
                  note="Accuracy over trials with Wilson 95 % intervals; 0.5 is chance. "
                       "Green ≥ 0.8, grey: the interval contains 0.5, red: the interval is below 0.5.")
    seen: set[str] = set()
    for res in results:
        payload = res.probes.get("ranking")
        if not payload:
            continue
        for rep, cells in _ranking_entries(payload).items():
            label = rep if rep not in seen else f"{rep} ({res.folder.name})"
            seen.add(label)
            row = [Cell(label)]
            for dim, scale, _ in RANKING_COLUMNS:
                row.append(ranking_cell(cells[dim][scale]))
            table.rows.append(row)
    return table if table.rows else None


def _gear_score(block: dict, key: str) -> float | None:
    return _num(block.get(key))


def gear_table(results: list[ModelResults]) -> Table | None:
    """Disentanglement scores: one row per model and factor, one column per score."""
    header = ["model", "factor"] + [label for _, label in GEAR_SCORES] + ["median |log ratio|"]
    table = Table("table-gear", "GEAR disentanglement scores (1 = the factor is fully recoverable; ≈ 0 = not encoded)",
                  header, note="kNN R²: leave-one-out kNN regression of the factor; Isomap linear R²: best "
                               "linear map from the 3 Isomap coordinates; sensitivity: Spearman ρ between "
                               "embedding distance and |Δ factor|; |log ratio|: kNN estimate vs truth, K = 40 "
                               "(Lostanlen et al. Fig. 4). Definitions in docs/gear.md.")
    for res in results:
        factors = res.probes.get("gear", {}).get("factors", {})
        for f in GEAR_FACTORS:
            if f not in factors:
                continue
            block = factors[f]
            row = [Cell(res.name), Cell(f)]
            for key, _ in GEAR_SCORES:
                v = _gear_score(block, key)
                row.append(Cell("n/a" if v is None else f"{v:.2f}", v, css="na" if v is None else _score_class(v)))
            lr = block.get("knn_log_ratio") if isinstance(block.get("knn_log_ratio"), dict) else {}
            v = _num(lr.get("mean_abs", lr.get("median_abs")))
            row.append(Cell("n/a" if v is None else f"{v:.3f}", v))
            table.rows.append(row)
    return table if table.rows else None


def _score_class(v: float) -> str:
    return "good" if v >= 0.8 else ("chance" if v < 0.2 else "mid")


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
     "Fraction of anchored triplets whose order the distance keeps (timbremetrics' metric)."),
    ("table-timbre-regularised", ("regularised_loso_explained_variance",),
     "Held-out explained variance of the regularised learned metric (nested leave one sound out)",
     "Non-negative ridge on w⁻², strength chosen by inner leave-one-sound-out; scored on the "
     "outer held-out pairs."),
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
            v = _num(vals.get(s))
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
        vals = [_num(r.probes["timbre"]["relative_area_db"].get(s)) for r in cols]
        if all(v is None for v in vals):
            continue
        table.rows.append([Cell(s)] + [Cell("—" if v is None else f"{v:+.2f}", v,
                                            css="" if v is None else ("good" if v > 0 else "bad"))
                                       for v in vals])
    return table if table.rows else None


def summary_numbers(res: ModelResults) -> list[tuple[str, str, str]]:
    """(label, value, explanation) triples for a model's summary card."""
    out: list[tuple[str, str, str]] = []
    ranking = _ranking_entries(res.probes.get("ranking", {}))
    if ranking:
        rep = next(iter(ranking))
        for dim in ("pitch", "level"):
            cell = ranking_cell(ranking[rep][dim]["fine"])
            out.append((dim, cell.text.split(" [")[0], f"ranking accuracy, fine scale ({rep})"))
    gear = res.probes.get("gear", {}).get("factors", {})
    for f in GEAR_FACTORS:
        if f in gear:
            v = _gear_score(gear[f], "knn_r2_k10")
            out.append((f, "n/a" if v is None else f"{v:.2f}", "GEAR kNN R² (K=10)"))
    timbre = res.probes.get("timbre", {})
    n = len(timbre.get("explained_variance") or {})
    cos = _num(((timbre.get("unlearned") or {}).get("cosine") or {}).get("median", {}).get("explained_variance"))
    if cos is not None:
        out.append(("timbre unlearned", f"{cos:.2f}",
                    f"median explained variance of the raw cosine distance, nothing fitted, {n} studies"))
    for key, label, why in (("regularised_loso_median", "timbre regularised held-out",
                             "median held-out EV of the regularised learned metric (nested LOSO)"),
                            ("loso_median", "timbre held-out", "median held-out (LOSO) EV of the learned metric")):
        if _num(timbre.get(key)) is not None:
            out.append((label, f"{float(timbre[key]):.2f}", f"{why}, {n} studies"))
    if _num(timbre.get("median")) is not None:
        out.append(("timbre in-sample (upper bound)", f"{float(timbre['median']):.2f}",
                    f"median in-sample EV of the learned metric: fitted and scored on the same pairs, {n} studies"))
    return out
