"""One row per model: the best layer of each headline score, with its interval and chance.

The report's leaderboard collapses the result folders of one model (its layers ``model@layer-K``
and its default output ``model``) into one row. For each headline score a row shows the
highest value over the model's layers (or, for a folder with several ranking
representations, over those representations), the layer or representation that gave it, its
95 % interval when the result stores one (``K_ci``), and a marker when that interval lies
entirely above (``*``) or below (``v``) the score's chance level.

Headline scores (all on the scale where chance is the given level):

- timbre: median over the studies of the held-out regularised signed explained variance
  (``regularised_loso_median``) and of the unlearned cosine one (``unlearned.cosine.median``);
  chance 0;
- GEAR: kNN R² (K = 10) of f1, alpha and r; chance 0;
- ranking: pitch and level accuracy at the coarse and fine scales; chance 0.5.

Picking the best layer on the score itself is an optimistic selection (the same trials pick
the layer and score it); captions say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hear_probes.report.load import ModelResults
from hear_probes.report.render import esc, md_cell
from hear_probes.report.tables import num

_LAYER = re.compile(r"^(?P<base>.+)@layer-(?P<k>-?\d+)$")

#: Adapter modules of the weight-free, hand-made representations.
HAND_MADE_MODULES = frozenset({"stft", "logmel", "waveform"})

#: Family of a model by the prefix of its name, when its result does not name its adapter.
FAMILY_PREFIXES = (("crepe", "crepe"), ("fcn", "fcn"), ("musicnn", "musicnn"), ("vgg-", "musicnn"),
                   ("pesto", "pesto"), ("basic-pitch", "basic-pitch"), ("fcpe", "fcpe"),
                   ("resemblyzer", "resemblyzer"), ("stft", "hand-made"), ("logmel", "hand-made"),
                   ("waveform", "hand-made"), ("random-projection", "hand-made"),
                   ("distances", "hand-made"))

Point = tuple[float, list | None]  # value, [low, high] or None


@dataclass(frozen=True)
class Headline:
    """A leaderboard column: which probe, how to read the score, its chance level."""

    key: str
    probe: str
    group: str
    label: str
    chance: float
    read: Callable[[dict], Point | None]


@dataclass
class Entry:
    """One scored variant of a model: a layer, the default output, or a representation."""

    label: str
    layer: int | None
    payloads: dict[str, dict]  # probe -> payload (ranking payloads narrowed to one representation)


@dataclass
class ModelRow:
    """The result folders of one model, collapsed."""

    name: str
    family: str
    entries: list[Entry] = field(default_factory=list)
    results: list[ModelResults] = field(default_factory=list)

    @property
    def layered(self) -> bool:
        """Whether any folder of the model is a layer (``model@layer-K``)."""
        return any(e.layer is not None for e in self.entries)


def _ci(x) -> list | None:
    if isinstance(x, (list, tuple)) and len(x) == 2 and num(x[0]) is not None and num(x[1]) is not None:
        return [num(x[0]), num(x[1])]
    return None


def _timbre_regularised(p: dict) -> Point | None:
    v = num(p.get("regularised_loso_median"))
    return None if v is None else (v, _ci(p.get("regularised_loso_median_ci")))


def _timbre_cosine(p: dict) -> Point | None:
    cos = (p.get("unlearned") or {}).get("cosine") or {}
    v = num((cos.get("median") or {}).get("explained_variance"))
    return None if v is None else (v, _ci((cos.get("median_ci") or {}).get("explained_variance")))


def _gear(factor: str) -> Callable[[dict], Point | None]:
    def read(p: dict) -> Point | None:
        block = (p.get("factors") or {}).get(factor) or {}
        v = num(block.get("knn_r2_k10"))
        return None if v is None else (v, _ci(block.get("knn_r2_k10_ci")))
    return read


def _ranking(dim: str, scale: str) -> Callable[[dict], Point | None]:
    def read(p: dict) -> Point | None:
        rep = next(iter((p.get("representations") or {}).values()), {})
        v = num(((rep.get("accuracy") or {}).get(dim) or {}).get(scale))
        cis = rep.get("accuracy_ci") or rep.get("ci95") or {}
        return None if v is None else (v, _ci((cis.get(dim) or {}).get(scale)))
    return read


HEADLINES: tuple[Headline, ...] = (
    Headline("timbre_regularised", "timbre", "timbre EV", "held-out (reg.)", 0.0, _timbre_regularised),
    Headline("timbre_cosine", "timbre", "timbre EV", "unlearned (cos.)", 0.0, _timbre_cosine),
    Headline("gear_f1", "gear", "GEAR kNN R²", "f1", 0.0, _gear("f1")),
    Headline("gear_alpha", "gear", "GEAR kNN R²", "α", 0.0, _gear("alpha")),
    Headline("gear_r", "gear", "GEAR kNN R²", "r", 0.0, _gear("r")),
    Headline("pitch_coarse", "ranking", "ranking accuracy", "pitch coarse", 0.5, _ranking("pitch", "coarse")),
    Headline("pitch_fine", "ranking", "ranking accuracy", "pitch fine", 0.5, _ranking("pitch", "fine")),
    Headline("level_coarse", "ranking", "ranking accuracy", "level coarse", 0.5, _ranking("level", "coarse")),
    Headline("level_fine", "ranking", "ranking accuracy", "level fine", 0.5, _ranking("level", "fine")),
)


def split_model_id(model_id: str) -> tuple[str, int | None]:
    """``("model", K)`` for ``model@layer-K``, ``(model_id, None)`` otherwise."""
    m = _LAYER.match(model_id)
    return (m.group("base"), int(m.group("k"))) if m else (model_id, None)


def family_of(name: str, model: dict) -> str:
    """Model family: the adapter module named by the result, else the name's prefix, else the name.

    Weight-free representations (:data:`HAND_MADE_MODULES`, the random projection and the
    spectral distances) are the family ``hand-made``.
    """
    low = name.lower()
    for prefix, fam in FAMILY_PREFIXES:
        if fam == "hand-made" and low.startswith(prefix):
            return fam
    module = str(model.get("module") or "").rsplit(".", 1)[-1]
    if module in HAND_MADE_MODULES:
        return "hand-made"
    if module:
        return module
    for prefix, fam in FAMILY_PREFIXES:
        if low.startswith(prefix):
            return fam
    return low.split("-")[0]


def _entries(res: ModelResults, layer: int | None) -> list[Entry]:
    """One entry per layer folder; a folder with several ranking representations gives one each."""
    label = f"layer-{layer}" if layer is not None else "default"
    reps = (res.probes.get("ranking") or {}).get("representations") or {}
    if len(reps) <= 1:
        return [Entry(label, layer, dict(res.probes))]
    out = []
    for rep_name, rep in reps.items():
        payloads = {k: v for k, v in res.probes.items() if k != "ranking"}
        payloads["ranking"] = {**res.probes["ranking"], "representations": {rep_name: rep}}
        out.append(Entry(rep_name, layer, payloads))
    return out


def group_models(results: list[ModelResults]) -> list[ModelRow]:
    """Result folders grouped by model (layers and default output of one model together).

    Rows come in order of family (hand-made last), then name.
    """
    rows: dict[str, ModelRow] = {}
    for res in results:
        base, layer = split_model_id(str(res.model.get("model_id") or res.name))
        if not res.model.get("model_id"):
            base = res.name
        row = rows.setdefault(base, ModelRow(base, family_of(base, res.model)))
        row.entries.extend(_entries(res, layer))
        row.results.append(res)
    for row in rows.values():
        row.entries.sort(key=lambda e: (e.layer is None, e.layer if e.layer is not None else 0))
    return sorted(rows.values(), key=lambda r: (r.family == "hand-made", r.family, r.name))


@dataclass(frozen=True)
class Best:
    """The best entry of a model for one headline score."""

    value: float
    ci: list | None
    label: str
    n: int  # how many entries had the score

    def marker(self, chance: float) -> str:
        """``*`` when the interval lies above chance, ``v`` when below, ``""`` otherwise."""
        if self.ci is None:
            return ""
        if self.ci[0] > chance:
            return "*"
        if self.ci[1] < chance:
            return "v"
        return ""


def best_of(row: ModelRow, head: Headline) -> Best | None:
    """Highest value of ``head`` over the model's entries (first one on ties), or None."""
    scored = [(pt, e.label) for e in row.entries
              if head.probe in e.payloads and (pt := head.read(e.payloads[head.probe])) is not None]
    if not scored:
        return None
    (value, ci), label = max(scored, key=lambda s: s[0][0])
    return Best(value, ci, label, len(scored))


CAPTION = ("One row per model; each cell is the model's best layer for that score (the highest value "
           "over its layers, or over the representations of a multi-representation folder), named "
           "under the value, with its 95 % interval where the result has one. Picking the best "
           "layer on the score itself is an optimistic selection: the same stimuli choose the layer "
           "and score it, and the interval does not account for the choice. * = the interval lies "
           "above chance, v = below it (not corrected for the layer choice or for multiple "
           "comparisons); no marker = it includes chance, or the result has no interval. Timbre: "
           "median over the studies of the signed explained variance, held out (regularised "
           "metric, leave one sound out) and unlearned (cosine distance, nothing fitted); GEAR: kNN "
           "R² (K = 10) of each synthesis factor; ranking: accuracy at the coarse and fine scales. "
           "variants = the layers compared (or the representations of a multi-representation "
           "folder); n/a = no result of the model holds the score.")


def _cell_parts(best: Best | None, head: Headline) -> tuple[str, str, str]:
    if best is None:
        return "n/a", "", ""
    ci = f"[{best.ci[0]:.3f}, {best.ci[1]:.3f}]" if best.ci else "no interval"
    return f"{best.value:.3f}{best.marker(head.chance)}", ci, best.label


def leaderboard_html(rows: list[ModelRow], pages: dict[str, str] | None = None) -> str:
    """The leaderboard as an HTML table (``pages``: model -> href of its page)."""
    pages = pages or {}
    groups: list[tuple[str, int]] = []
    for h in HEADLINES:
        if groups and groups[-1][0] == h.group:
            groups[-1] = (h.group, groups[-1][1] + 1)
        else:
            groups.append((h.group, 1))
    top = ('<tr><th rowspan="2">model<span class="sub">family · variants</span></th>'
           + "".join(f'<th colspan="{n}">{esc(g)}</th>' for g, n in groups) + "</tr>")
    sub = "<tr>" + "".join(f"<th>{esc(h.label)}</th>" for h in HEADLINES) + "</tr>"
    body = []
    for row in rows:
        name = (f'<a href="{esc(pages[row.name])}">{esc(row.name)}</a>' if row.name in pages
                else esc(row.name))
        cells = []
        for h in HEADLINES:
            value, ci, label = _cell_parts(best_of(row, h), h)
            css = "na" if value == "n/a" else ""
            cells.append(f'<td class="lb {css}"><span class="v">{esc(value)}</span>'
                         + (f'<span class="ci">{esc(ci)}</span><span class="at">{esc(label)}</span>'
                            if label else "") + "</td>")
        n_layers = sum(e.layer is not None for e in row.entries)
        body.append(f'<tr><td class="lb"><span class="v">{name}</span><span class="at">'
                    f"{esc(row.family)} · {n_layers or len(row.entries)}</span></td>{''.join(cells)}</tr>")
    chance = ('<tr><td>chance</td>'
              + "".join(f"<td>{h.chance:g}</td>" for h in HEADLINES) + "</tr>")
    return ('<div class="scroll"><table id="table-leaderboard"><caption>' + esc(CAPTION) + "</caption>"
            f"<thead>{top}{sub}</thead><tbody>{''.join(body)}</tbody><tfoot>{chance}</tfoot>"
            "</table></div>")


def leaderboard_markdown(rows: list[ModelRow], pages: dict[str, str] | None = None) -> str:
    """The leaderboard as a GitHub-flavoured Markdown table, its caption below."""
    pages = pages or {}
    head = ["model", "family", "variants"] + [f"{h.group}: {h.label}" for h in HEADLINES]
    lines = ["| " + " | ".join(md_cell(h) for h in head) + " |",
             "|" + "|".join(["---", "---", "---:"] + ["---:"] * len(HEADLINES)) + "|"]
    for row in rows:
        name = md_cell(row.name)
        if row.name in pages:
            label = name.replace("[", "\\[").replace("]", "\\]")
            name = f"[{label}]({pages[row.name]})"
        cells = []
        for h in HEADLINES:
            value, ci, label = _cell_parts(best_of(row, h), h)
            cells.append(md_cell(value if not label else f"{value} {ci} ({label})"))
        n_layers = sum(e.layer is not None for e in row.entries)
        lines.append(f"| {name} | {md_cell(row.family)} | {n_layers or len(row.entries)} | "
                     + " | ".join(cells) + " |")
    lines.append("| chance | | | " + " | ".join(f"{h.chance:g}" for h in HEADLINES) + " |")
    return "\n".join(lines) + "\n\n_" + md_cell(CAPTION) + "_\n"
