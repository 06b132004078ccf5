"""The report's "Paired comparisons" section: the tests of ``hear-probes compare``.

Built from the same API (:func:`hear_probes.compare.compare_loaded`) whenever two or more
result folders hold ``timbre_pairs.h5``; absent otherwise. All pairs of models are compared;
a difference is significant only after Holm's correction, and only then is it bold.
"""

from __future__ import annotations

from hear_probes.errors import HearProbesError
from hear_probes.report.load import ModelResults
from hear_probes.report.render import esc, table_html, table_markdown
from hear_probes.report.tables import Cell, Table

__all__ = ["paired_comparison", "paired_section", "paired_tables"]

_NOTE = ("Difference = B - A. Across studies: Wilcoxon signed-rank over independent groups of "
         "studies (studies that share sounds, e.g. Zacharakis English/Greek or the three Iverson "
         "views, are averaged into one group first; the 21 studies make 11 groups); median difference "
         "over groups with its distribution-free 95 % interval, and the Hodges-Lehmann shift with "
         "the interval that goes with the test. Per study: paired bootstrap over sounds (the same "
         "resampled sounds for both models); the last column counts the studies where B is "
         "significantly higher / lower after Holm over the studies. Bold: significant after Holm "
         "over every score and pair (alpha 0.05). The in-sample fit is not compared (it "
         "interpolates the ratings when dimensions outnumber pairs). Single-layer folders are not "
         "compared here (use hear-probes compare). See docs/compare.md.")


def paired_comparison(results: list[ModelResults], settings=None):
    """The :class:`~hear_probes.compare.Comparison` of the folders holding pair files.

    Folders of single layers (model id ``model@layer-K``) are left out: comparing every layer
    with every other is the layer curves' job. Returns None when fewer than two folders hold
    ``timbre_pairs.h5``.

    Raises
    ------
    HearProbesError
        The folders cannot be paired (different studies, sounds or ratings).
    """
    from hear_probes.compare import CompareSettings, compare_loaded
    from hear_probes.compare.inputs import load_timbre_pairs
    from hear_probes.layers import split_layer_id
    from hear_probes.probes.timbre.pairs_file import PAIRS_NAME

    # layer views (model@layer-K) are compared with `hear-probes compare` on purpose, not
    # pairwise among every folder of a report
    with_pairs = [r for r in results if (r.folder / PAIRS_NAME).is_file()
                  and split_layer_id(str(r.model.get("model_id", r.name))) is None]
    if len(with_pairs) < 2:
        return None
    timbre = [load_timbre_pairs(r.folder) for r in with_pairs]
    names = [r.name for r in with_pairs]
    for tp, name in zip(timbre, names, strict=True):
        tp.name = name
    return compare_loaded([r.folder for r in with_pairs], names, timbre,
                          settings or CompareSettings())


def _num(x: float, signed: bool = True) -> str:
    from math import isfinite

    if x is None or not isfinite(x):
        return "n/a"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def _interval(ci) -> str:
    return f"[{_num(ci[0])}, {_num(ci[1])}]"


def paired_tables(cmp) -> list[Table]:
    """Tables of a comparison: timbre across studies (with per-study counts), other probes."""
    from hear_probes.compare.timbre import TIMBRE_METRICS

    labels = {m.name: m.label for m in TIMBRE_METRICS}
    rows = []
    for t in cmp.select("timbre", "across studies"):
        studies = [s for s in cmp.select("timbre", "study", (t.a, t.b)) if s.metric == t.metric]
        up = sum(s.significant and s.difference > 0 for s in studies)
        down = sum(s.significant and s.difference < 0 for s in studies)
        hl, (hl_lo, hl_hi) = t.details["hodges_lehmann"], t.details["hodges_lehmann_ci"]
        rows.append([
            Cell(f"{t.b} - {t.a}"), Cell(labels.get(t.metric, t.metric)),
            Cell(_num(t.score_a, False)), Cell(_num(t.score_b, False)),
            Cell(f"{_num(t.difference)} {_interval(t.difference_ci)}", bold=t.significant),
            Cell(f"{_num(hl)} {_interval([hl_lo, hl_hi])}"),
            Cell(f"{t.details['n_b_better']} / {t.details['n_a_better']} of {t.n}"),
            Cell(f"{t.p:.4f}"), Cell(f"{t.p_holm:.4f}", bold=t.significant),
            Cell(f"{up} / {down} of {len(studies)}")])
    other = [t for t in cmp.tests if t.probe != "timbre"]
    skipped = "; ".join(f"{s.probe}, {s.b} - {s.a}: {s.reason}" for s in cmp.skipped)
    skipped_note = f"Not compared: {skipped}." if skipped else ""
    timbre_note = " ".join([_NOTE, *cmp.notes] + ([] if other else [skipped_note])).strip()
    tables = [Table("table-paired-timbre", "Timbre: paired differences across studies",
                    ["B - A", "score", "median A", "median B", "median difference [95 %]",
                     "HL shift [95 %]", "groups B>A / A>B", "p (Wilcoxon)", "p (Holm)",
                     "studies B higher / lower"], rows, note=timbre_note)]
    if other:
        tables.append(Table(
            "table-paired-other", "Ranking and GEAR: paired differences",
            ["B - A", "probe", "score", "A", "B", "difference [95 %]", "n", "p", "p (Holm)"],
            [[Cell(f"{t.b} - {t.a}"), Cell(t.probe), Cell(f"{t.unit} {t.metric}" if t.probe == "gear" else t.unit),
              Cell(_num(t.score_a, False)), Cell(_num(t.score_b, False)),
              Cell(f"{_num(t.difference)} {_interval(t.difference_ci)}", bold=t.significant),
              Cell(str(t.n)), Cell(f"{t.p:.4f}"), Cell(f"{t.p_holm:.4f}", bold=t.significant)]
             for t in other],
            note=("Ranking: exact McNemar on the trials decided by both models; GEAR: paired t "
                  f"over seeds. {skipped_note}").strip()))
    return tables


def paired_section(results: list[ModelResults]) -> tuple[str, str]:
    """HTML and Markdown of the section; ``("", "")`` when fewer than two folders have pairs."""
    try:
        cmp = paired_comparison(results)
    except HearProbesError as exc:
        msg = f"Paired comparisons not computed: {exc}"
        return (f'<section id="paired"><h2>Paired comparisons</h2><p>{esc(msg)}</p></section>',
                f"## Paired comparisons\n\n{msg}\n")
    if cmp is None:
        return "", ""
    tables = paired_tables(cmp)
    html = "".join(table_html(t) for t in tables)
    md = "\n".join(table_markdown(t) for t in tables)
    return (f'<section id="paired"><h2>Paired comparisons</h2>{html}</section>',
            f"## Paired comparisons\n\n{md}")
