"""The text of every generated block of README.md and docs/*.md, built from ``results/``.

A block is ``<!-- results:NAME ARG... -->TEXT<!-- /results -->`` in a Markdown file;
:mod:`hear_probes.report.docnumbers` replaces TEXT by ``BLOCKS[NAME](results, *ARGS)``.
Names are stable (docs refer to them); each generator reads numbers only through the
accessors of :mod:`hear_probes.report.docsources`, so a schema change is fixed there.

Two kinds:

* named blocks (a table, a sentence): ``readme-timbre-stft``, ``readme-erratum``, ...;
* inline numbers with arguments, for a number inside prose: ``timbre-median MODEL FAMILY
  STUDIES``, ``timbre-study``, ``gear``, ``ranking-acc``, ``ranking-half``, ``ranking-ties``,
  ``ablation``. An optional last argument ``d=N`` sets the decimals (default 3).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from hear_probes.report import docsources as src
from hear_probes.report.docsources import DocSourceError, Results

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


# ============================================================================ GEAR
_FACTORS = (("f1", "f1"), ("alpha", "α"), ("r", "r"))


@block("gear-components")
def _gear_components(res: Results, *args: str) -> str:
    _arity("gear-components", args, 1, "MODEL")
    return str(src.gear_components(res, args[0]))


# ============================================================================ ranking
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


