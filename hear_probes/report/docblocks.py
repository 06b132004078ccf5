"""The text of every generated block of README.md and docs/*.md, built from ``results/``.

A block is ``<!-- results:NAME ARG... -->TEXT<!-- /results -->`` in a Markdown file;
:mod:`hear_probes.report.docnumbers` replaces TEXT by ``BLOCKS[NAME](results, *ARGS)``.
Names are stable (docs refer to them); each generator reads numbers only through the
accessors of :mod:`hear_probes.report.docsources`, so a schema change is fixed there.

Two kinds:

* named blocks (a table, a sentence): ``readme-timbre-stft``, ``gear-table``, ...;
* inline numbers with arguments, for a number inside prose: ``timbre-median MODEL FAMILY
  STUDIES``, ``timbre-study``, ``gear``, ``ranking-acc``, ``ranking-half``, ``ranking-ties``,
  ``ablation``. An optional last argument ``d=N`` sets the decimals (default 3).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from hear_probes.report import docsources as src
from hear_probes.report.docsources import DocSourceError, Results

#: Published summary row of Pascal & Lagrange (2024) Table I, STFT column (a paper value).
PUBLISHED_STFT_SUMMARY_MEDIAN = 0.26
#: A ranking cell is "off" the published value beyond this distance (docs/ranking.md).
RANKING_OFF = 0.05
#: Ranking columns and their headings in prose.
COLUMNS = ("eps", "fine", "coarse")
_COLUMN_NAMES = {"pitch": {"eps": "eps", "fine": "±30 c", "coarse": "±600 c"},
                 "level": {"eps": "eps", "fine": "±2 dB", "coarse": "±10 dB"}}

Generator = Callable[..., str]
BLOCKS: dict[str, Generator] = {}


def block(name: str) -> Callable[[Generator], Generator]:
    """Register a generator under a block name."""
    def deco(fn: Generator) -> Generator:
        if name in BLOCKS:
            raise ValueError(f"block {name!r} registered twice")
        BLOCKS[name] = fn
        return fn
    return deco


def f3(x: float, digits: int = 3) -> str:
    """Fixed decimals, a true minus sign for negatives, ``n/a`` for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    s = f"{x:.{digits}f}"
    return "−" + s[1:] if s.startswith("-") else s


def signed(x: float, digits: int = 3) -> str:
    """``+0.105`` / ``−0.117``."""
    return ("+" if x >= 0 else "") + f3(x, digits)


def _digits(args: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
    if args and args[-1].startswith("d="):
        return args[:-1], int(args[-1][2:])
    return args, 3


def _arity(name: str, args: tuple[str, ...], n: int, usage: str) -> None:
    if len(args) != n:
        raise DocSourceError(f"block {name!r} takes {n} arguments ({usage}), got {len(args)}: {' '.join(args)}")


# ============================================================================ inline numbers
def _inline_number(name: str, n_args: int, usage: str, accessor: str) -> None:
    """Register block ``name``: ``f3(docsources.<accessor>(res, *ARGS), d)`` of ``n_args``
    arguments (``usage`` names them), with the optional ``d=N`` decimals last."""
    def number(res: Results, *args: str) -> str:
        args, d = _digits(args)
        _arity(name, args, n_args, usage)
        return f3(getattr(src, accessor)(res, *args), d)

    number.__name__ = number.__qualname__ = f"_{name.replace('-', '_')}"
    block(name)(number)


for _name, _n_args, _usage, _accessor in (
        ("timbre-median", 3, "MODEL FAMILY 17|21", "timbre_median"),
        ("timbre-study", 3, "MODEL FAMILY STUDY", "timbre_study"),
        ("gear", 3, "MODEL FACTOR KEY", "gear_score"),
        ("ranking-acc", 4, "RESULTS_JSON REP ATTRIBUTE COLUMN", "ranking_cell"),
        ("ranking-half", 4, "RESULTS_JSON REP ATTRIBUTE COLUMN", "ranking_half")):
    _inline_number(_name, _n_args, _usage, _accessor)


@block("ranking-ties")
def _ranking_ties(res: Results, *args: str) -> str:
    _arity("ranking-ties", args, 4, "RESULTS_JSON REP ATTRIBUTE COLUMN")
    return str(src.ranking_ties(res, *args))


@block("ablation")
def _ablation(res: Results, *args: str) -> str:
    args, d = _digits(args)
    _arity("ablation", args, 4, "DISTANCE POWER yes|no COLUMN_INDEX")
    for row in src.ablation_rows(res):
        if (row["distance"], row["power"], row["centred"]) == args[:3]:
            return f3(row["cells"][int(args[3])][0], d)
    raise DocSourceError(f"distances/ablation_power_centring.txt: no row {' '.join(args[:3])}")


@block("erratum")
def _erratum_cell(res: Results, *args: str) -> str:
    args, d = _digits(args)
    _arity("erratum", args, 2, "STUDY COLUMN of results/stft-released-order/erratum.csv")
    for row in src.erratum_rows(res):
        if row["study"] == args[0]:
            if args[1] not in row:
                raise DocSourceError(f"stft-released-order/erratum.csv: no column {args[1]!r}")
            return f3(float(row[args[1]]), d)
    raise DocSourceError(f"stft-released-order/erratum.csv: no study {args[0]!r}")


# ============================================================================ README / timbre
def _two(res: Results, model: str, family: str) -> str:
    """``a (b)``: median over the 17 studies of Table I, over all 21 in brackets."""
    return (f"{f3(src.timbre_median(res, model, family, '17'))} "
            f"({f3(src.timbre_median(res, model, family, '21'))})")


@block("readme-timbre-stft")
def _readme_timbre_stft(res: Results) -> str:
    return (
        "For `stft`, medians over the 17 studies of Table I (over all 21 in brackets): "
        f"unlearned cosine explained variance {_two(res, 'stft', 'unlearned_cosine_ev')}, "
        f"regularised held-out {_two(res, 'stft', 'regularised')}, "
        f"learned held-out {_two(res, 'stft', 'loso')}, "
        f"in-sample {_two(res, 'stft', 'in_sample')} (an upper bound); the 95 % intervals "
        "and how many studies are above chance are in docs/timbre.md (\"Which number to read\")."
    )


def _erratum(res: Results) -> dict:
    rows = src.erratum_rows(res)
    diffs = np.array([float(r["diff"]) for r in rows])
    warm = np.array([float(r["correct_pairing"]) for r in rows])
    exact = np.array([src.timbre_study(res, "stft", "exact_optimum", r["study"]) for r in rows])
    return {
        "rows": rows, "n": len(rows),
        "within": sum(r["within_0_03"] == "True" for r in rows),
        "max_diff": float(np.max(np.abs(diffs))),
        "released_median": float(np.median([float(r["released_order"]) for r in rows])),
        "published_column_median": float(np.median([float(r["published"]) for r in rows])),
        "warm": warm, "exact": exact,
    }


@block("readme-erratum")
def _readme_erratum(res: Results) -> str:
    e = _erratum(res)
    return (
        f"({e['within']} of {e['n']} studies within 0.03, the largest difference "
        f"{f3(e['max_diff'])}); with the correct pairing the median explained variance is "
        f"{f3(np.median(e['warm']))} (the paper's warm start) to {f3(np.median(e['exact']))} "
        "(exact optimum)"
    )


@block("timbre-warm-gap")
def _timbre_warm_gap(res: Results) -> str:
    e = _erratum(res)
    gap = e["exact"] - e["warm"]
    k = int(np.argmax(gap))
    study = e["rows"][k]["study"]
    return (
        f"up to {f3(gap[k])} of explained variance ({study}: {f3(e['warm'][k])} warm vs "
        f"{f3(e['exact'][k])} exact, 16 kHz `stft`, correct pairing, 17 studies)"
    )


@block("timbre-warm-gap-max")
def _timbre_warm_gap_max(res: Results) -> str:
    e = _erratum(res)
    return f3(float(np.max(e["exact"] - e["warm"])))


@block("timbre-grey1977-warm")
def _timbre_grey1977_warm(res: Results) -> str:
    e = _erratum(res)
    k = [r["study"] for r in e["rows"]].index("Grey1977")
    return f"EV {f3(e['warm'][k])} against the optimum {f3(e['exact'][k])} (16 kHz `stft`)"


@block("timbre-erratum-table")
def _timbre_erratum_table(res: Results) -> str:
    e = _erratum(res)
    lines = [
        "| study | published | released order | diff | within ±0.03 | correct pairing (warm) "
        "| correct, exact optimum |",
        "|---|---|---|---|---|---|---|",
    ]
    for r, w, x in zip(e["rows"], e["warm"], e["exact"], strict=True):
        lines.append(
            f"| {r['study']} | {float(r['published']):.2f} | {f3(float(r['released_order']))} | "
            f"{signed(float(r['diff']))} | {'yes' if r['within_0_03'] == 'True' else 'no'} | "
            f"{f3(w)} | {f3(x)} |"
        )
    lines.append(
        f"| **median** | {PUBLISHED_STFT_SUMMARY_MEDIAN:.2f} (column: {e['published_column_median']:.2f}) | "
        f"{f3(e['released_median'])} | | **{e['within']} of {e['n']}** (largest {f3(e['max_diff'])}) | "
        f"**{f3(np.median(e['warm']))}** | {f3(np.median(e['exact']))} |"
    )
    return "\n".join(lines)


# ============================================================================ GEAR
_GEAR_LABELS = {"stft": "stft", "logmel": "logmel", "crepe": "crepe (HEAR baseline",
                "crepe-classifier-input": "crepe-classifier-input"}
_FACTORS = (("f1", "f1"), ("alpha", "α"), ("r", "r"))


def _gear_rows(res: Results, models: tuple[str, ...]) -> str:
    lines = [
        "| model | factor | kNN R² K=10 / 40 | Isomap-linear R² | sensitivity | distance effect "
        "| log ratio median (IQR), mean abs |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in models:
        label = _GEAR_LABELS.get(model, model)
        dim = src.gear_dim(res, model)
        label = f"{label}, {dim})" if "(" in label else f"{label} ({dim})"
        for i, (factor, shown) in enumerate(_FACTORS):
            g = functools.partial(src.gear_score, res, model, factor)
            lines.append(
                f"| {label if i == 0 else ''} | {shown} | {f3(g('knn_r2_k10'))} / {f3(g('knn_r2_k40'))} | "
                f"{f3(g('isomap_linear_r2'))} | {f3(g('sensitivity'))} | {f3(g('distance_effect'))} | "
                f"{signed(g('knn_log_ratio.median'))} ({f3(g('knn_log_ratio.iqr'))}), "
                f"{f3(g('knn_log_ratio.mean_abs'))} |"
            )
    return "\n".join(lines)


@block("gear-components")
def _gear_components(res: Results, *args: str) -> str:
    _arity("gear-components", args, 1, "MODEL")
    return str(src.gear_components(res, args[0]))


# ============================================================================ ranking
_DIST = "distances/ranking.json"


def _ranking_cell_text(res: Results, rel: str, rep: str, attribute: str, column: str) -> str:
    acc = src.ranking_cell(res, rel, rep, attribute, column)
    ties = src.ranking_ties(res, rel, rep, attribute, column)
    has_pub = src.ranking_rep(res, rel, rep).get("published") is not None
    pub = src.ranking_published(res, rel, rep, attribute, column)
    if acc is None:
        text = f"n/a ({ties} ties)"
    else:
        text = f3(acc) + (f" [{ties} ties]" if ties else "")
    if has_pub:
        text += " (held out)" if pub is None else f" ({f3(pub)})"
    if acc is not None and pub is not None and abs(acc - pub) > RANKING_OFF:
        text += " **off**"
    return text


def _published_cells(res: Results) -> list[tuple[str, str, str]]:
    cells = []
    for rep in src.ranking_table1_rows():
        for a in ("pitch", "level"):
            for c in ("fine", "coarse"):
                if src.ranking_published(res, _DIST, rep, a, c) is not None:
                    cells.append((rep, a, c))
    return cells


def _within(res: Results, reading: Callable, cells: list) -> list[bool]:
    out = []
    for rep, a, c in cells:
        v = reading(res, _DIST, rep, a, c)
        out.append(v is not None and abs(v - src.ranking_published(res, _DIST, rep, a, c)) <= RANKING_OFF)
    return out


_CREPE = (("crepe", "crepe (HEAR baseline, block 5)"), ("crepe-classifier-input", "crepe-classifier-input (block 6)"))


def _acc_ci(res: Results, rel: str, rep: str, a: str, c: str) -> str:
    acc = src.ranking_cell(res, rel, rep, a, c)
    if acc is None:
        return f"n/a ({src.ranking_ties(res, rel, rep, a, c)} ties)"
    lo, hi = src.ranking_ci(res, rel, rep, a, c)
    return f"{f3(acc)} [{f3(lo)}, {f3(hi)}]"


@block("ranking-crepe")
def _ranking_crepe(res: Results) -> str:
    lines = [
        "| model | pitch eps | pitch ±30 c | pitch ±600 c | level (eps, ±2 dB, ±10 dB) | trials | wall time |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, label in _CREPE:
        rel = f"{model}/ranking.json"
        pitch = [_acc_ci(res, rel, model, "pitch", c) for c in COLUMNS]
        level = [src.ranking_cell(res, rel, model, "level", c) for c in COLUMNS]
        ties = [src.ranking_ties(res, rel, model, "level", c) for c in COLUMNS]
        lv = (f"n/a ({ties[0]} ties each)" if all(v is None for v in level) and len(set(ties)) == 1
              else ", ".join(_acc_ci(res, rel, model, "level", c) for c in COLUMNS))
        wall = src.ranking_wall_s(res, rel) / 60
        lines.append(f"| {label} | " + " | ".join(pitch) + f" | {lv} | {src.ranking_trials(res, rel, model)} | "
                     f"{wall:.1f} min |")
    return "\n".join(lines)


def _excluding_half(res: Results, cells: list[tuple[str, str, str, str, str]]) -> list[str]:
    out = []
    for rel, rep, label, a, c in cells:
        ci = src.ranking_ci(res, rel, rep, a, c)
        if ci is not None and not ci[0] <= 0.5 <= ci[1]:
            out.append(f"{label} {a} {c} {_acc_ci(res, rel, rep, a, c)}")
    return out


@block("ranking-ablation")
def _ranking_ablation(res: Results) -> str:
    names = {"spectrogram": "Spectrogram", "log-spectrogram": "log-Spectrogram", "mss": "MSS",
             "log-mss": "log-MSS"}
    lines = ["| distance | power | centred | pitch ±30 c | pitch ±600 c | level ±2 dB | level ±10 dB |",
             "|---|---|---|---|---|---|---|"]
    for row in src.ablation_rows(res):
        cells = [f"{f3(a)} ({f3(p)})" + (" *" if star else "") + (f" t{t}" if t else "")
                 for a, p, star, t in row["cells"]]
        lines.append(f"| {names.get(row['distance'], row['distance'])} | {row['power']} | {row['centred']} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


# ============================================================================ layers
_LAYER_MODELS = {"tiny": "crepe-tiny-layers", "full": "crepe-layers"}


def _layer_rel(net: str, k: int, probe: str) -> str:
    return f"{_LAYER_MODELS[net]}/layer-{k}/{probe}.json"


def _layer_rep(res: Results, net: str, k: int) -> str:
    names = [n for n, _ in src.ranking_rep_names(res, _layer_rel(net, k, "ranking"))]
    if len(names) != 1:
        raise DocSourceError(f"{_layer_rel(net, k, 'ranking')}: expected one representation, found {names}")
    return names[0]


@block("layers-gear")
def _layers_gear(res: Results) -> str:
    lines = [
        "| block | tiny dims | tiny f1 / α / r kNN R² (K=10) | full dims | full f1 / α / r kNN R² (K=10) |",
        "|---:|---:|---|---:|---|",
    ]
    for k in range(1, 7):
        row = [str(k)]
        for net in ("tiny", "full"):
            folder = f"{_LAYER_MODELS[net]}/layer-{k}"
            r2 = " / ".join(f3(src.gear_score(res, folder, f, "knn_r2_k10")) for f, _ in _FACTORS)
            row += [str(src.gear_dim(res, folder)), r2]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


@block("layers-timbre")
def _layers_timbre(res: Results, net: str) -> str:
    if net not in _LAYER_MODELS:
        raise DocSourceError(f"block 'layers-timbre' takes tiny or full, not {net!r}")
    lines = [
        f"| block | {net} unlearned EV (cos) | {net} triplets (cos) | {net} regularised held-out "
        f"| {net} LOSO held-out | {net} in-sample (upper bound) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    fams = ("unlearned_cosine_ev", "unlearned_cosine_triplets", "regularised", "loso", "in_sample")
    for k in range(1, 7):
        folder = f"{_LAYER_MODELS[net]}/layer-{k}"
        lines.append(f"| {k} | " + " | ".join(f3(src.timbre_median(res, folder, f, "21")) for f in fams) + " |")
    return "\n".join(lines)


