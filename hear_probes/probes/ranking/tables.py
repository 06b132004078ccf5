"""The ranking probe's report section: its table, summary-card numbers and layer scores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hear_probes.report.tables import Cell, Table, num

if TYPE_CHECKING:  # pragma: no cover - types only
    from hear_probes.report.load import ModelResults

RANKING_COLUMNS = [("pitch", "eps", "pitch ε"), ("pitch", "fine", "pitch ±30 c"),
                   ("pitch", "coarse", "pitch ±600 c"), ("level", "eps", "level ε"),
                   ("level", "fine", "level ±2 dB"), ("level", "coarse", "level ±10 dB")]

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
        acc = num(entry.get("accuracy"))
        if acc is None:
            reason = str(entry.get("reason") or entry.get("status") or "not available")
            m = entry.get("n_decided")
            text = f"n/a ({m} decided)" if isinstance(m, int) and m > 0 else "n/a"
            return Cell(text, None, reason, "na")
        ci = entry.get("ci95")
        if isinstance(ci, (list, tuple)) and len(ci) == 2:
            lo, hi = num(ci[0]), num(ci[1])
            title = f"95 % CI [{lo:.3f}, {hi:.3f}], n = {entry.get('n_trials', '?')}"
            return Cell(f"{acc:.3f} [{lo:.2f}, {hi:.2f}]", acc, title, accuracy_class(acc, (lo, hi)))
        return Cell(f"{acc:.3f}", acc, "", accuracy_class(acc))
    acc = num(entry)
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
        acc = block.get("accuracy", {})
        ci = block.get("accuracy_ci") or block.get("ci95") or {}
        decided = block.get("n_decided") or {}
        reasons = block.get("na_reason", {}) or {}
        cells: dict[str, dict] = {}
        for dim in ("pitch", "level"):
            cells[dim] = {}
            for scale in ("eps", "fine", "coarse"):
                value = (acc.get(dim) or {}).get(scale)
                if num(value) is None:
                    cells[dim][scale] = {"accuracy": None, "reason": reasons.get(f"{dim}.{scale}", "n/a"),
                                         "n_decided": (decided.get(dim) or {}).get(scale)}
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
                  note="Accuracy over decided trials (ties left out) with Wilson 95 % intervals; 0.5 is "
                       "chance. Green ≥ 0.8, grey: the interval contains 0.5, red: the interval is "
                       "below 0.5; n/a (N decided): fewer decided trials than an estimate needs.")
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


def summary(res: ModelResults) -> list[tuple[str, str, str]]:
    """Summary-card numbers: fine-scale pitch and level accuracy of the first representation,
    with its 95 % interval."""
    out: list[tuple[str, str, str]] = []
    ranking = _ranking_entries(res.probes.get("ranking", {}))
    if ranking:
        rep = next(iter(ranking))
        for dim in ("pitch", "level"):
            text = ranking_cell(ranking[rep][dim]["fine"]).text
            if " [" in text:  # keep the Wilson interval, drop any tie count after it
                text = text[: text.index("]") + 1]
            out.append((dim, text, f"ranking accuracy, fine scale ({rep}) [95 % Wilson interval]"))
    return out


def layer_scores(payload: dict) -> dict[str, float | None]:
    """Scores plotted against layer depth: fine-scale pitch and level accuracy, with the
    Wilson 95 % interval under ``<score>_ci`` when the result has it."""
    reps = payload.get("representations") or {}
    if not reps:
        return {}
    rep = next(iter(reps.values()))
    acc = rep.get("accuracy", {})
    cis = rep.get("accuracy_ci") or rep.get("ci95") or {}
    out: dict = {}
    for dim in ("pitch", "level"):
        name = f"{dim} accuracy (fine)"
        out[name] = num((acc.get(dim) or {}).get("fine"))
        ci = (cis.get(dim) or {}).get("fine")
        if out[name] is not None and isinstance(ci, (list, tuple)) and len(ci) == 2:
            out[name + "_ci"] = [num(ci[0]), num(ci[1])]
    return out


def tables(results: list[ModelResults]) -> list[Table | None]:
    """The ranking section's tables."""
    return [ranking_table(results)]
