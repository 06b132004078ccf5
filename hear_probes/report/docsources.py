"""Accessors: every result number the documentation quotes, read from ``results/``.

One small function per quantity, so that a change of the result schema is fixed in one
place (:mod:`hear_probes.report.docblocks` builds the text from these and nothing else).
A missing file or key raises :class:`DocSourceError` naming the file, the key path and the
block that needs it.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np

from hear_probes.errors import HearProbesError
from hear_probes.stimuli.timbre import ALL_TIMBRE_DATASETS, TIMBRE_DATASETS


class DocSourceError(HearProbesError):
    """A number the documentation needs is not in ``results/``."""


#: Study subsets over which a timbre median is taken, by the name the docs print.
STUDY_SETS: dict[str, list[str]] = {"17": TIMBRE_DATASETS, "21": ALL_TIMBRE_DATASETS}

#: Timbre score families: key path (in ``timbre.json``) of the per-study ``{study: value}`` map.
TIMBRE_FAMILIES: dict[str, tuple[str, ...]] = {
    "in_sample": ("explained_variance",),
    "exact_optimum": ("explained_variance_max",),
    "loso": ("loso_explained_variance",),
    "regularised": ("regularised_loso_explained_variance",),
    "unlearned_cosine_ev": ("unlearned", "cosine", "explained_variance"),
    "unlearned_cosine_triplets": ("unlearned", "cosine", "triplet_agreement"),
    "unlearned_euclidean_ev": ("unlearned", "euclidean", "explained_variance"),
}


class Results:
    """The ``results/`` folder of one checkout; each file is read once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._texts: dict[str, str] = {}
        self._jsons: dict[str, dict] = {}

    def text(self, rel: str) -> str:
        """Text of ``results/<rel>``."""
        if rel not in self._texts:
            path = self.root / rel
            if not path.is_file():
                raise DocSourceError(f"{path}: missing; run results/regenerate.sh to create it")
            self._texts[rel] = path.read_text()
        return self._texts[rel]

    def json(self, rel: str) -> dict:
        """Parsed ``results/<rel>``."""
        if rel not in self._jsons:
            self._jsons[rel] = json.loads(self.text(rel))
        return self._jsons[rel]


def dig(payload: dict, keys: tuple[str, ...], where: str) -> object:
    """``payload[k0][k1]...``; a missing key names the file and the whole path."""
    node: object = payload
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            raise DocSourceError(
                f"{where}: key {'.'.join(keys[: i + 1])!r} missing; the result schema changed: "
                "re-point the accessor in hear_probes/report/docsources.py"
            )
        node = node[key]
    return node


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DocSourceError(f"{where}: expected a number, found {value!r}")
    return float(value)


# ----------------------------------------------------------------------------- timbre
def timbre_per_study(res: Results, model: str, family: str) -> dict[str, float]:
    """``{study: value}`` of one score family of ``results/<model>/timbre.json``."""
    if family not in TIMBRE_FAMILIES:
        raise DocSourceError(f"timbre family {family!r} unknown; one of {sorted(TIMBRE_FAMILIES)}")
    rel = f"{model}/timbre.json"
    values = dig(res.json(rel), TIMBRE_FAMILIES[family], rel)
    if not isinstance(values, dict):
        raise DocSourceError(f"{rel}: {'.'.join(TIMBRE_FAMILIES[family])} is not a {{study: value}} map")
    return {k: float(v) if isinstance(v, int | float) else math.nan for k, v in values.items()}


def timbre_median(res: Results, model: str, family: str, studies: str) -> float:
    """Median of a family over a study set (``"17"``: Table I, ``"21"``: all); NaN-free."""
    values = timbre_per_study(res, model, family)
    names = STUDY_SETS[studies]
    missing = [s for s in names if s not in values]
    if missing:
        raise DocSourceError(
            f"{model}/timbre.json: {family} lacks {len(missing)} of the {studies} studies "
            f"({', '.join(missing[:3])}...); rerun the timbre probe on all of them"
        )
    picked = np.array([values[s] for s in names])
    if np.isnan(picked).any():
        raise DocSourceError(f"{model}/timbre.json: {family} has NaN studies; the docs quote no median of those")
    return float(np.median(picked))


def timbre_study(res: Results, model: str, family: str, study: str) -> float:
    """One study's value of a family."""
    values = timbre_per_study(res, model, family)
    if study not in values:
        raise DocSourceError(f"{model}/timbre.json: {family} has no study {study!r}")
    return values[study]


def erratum_rows(res: Results) -> list[dict]:
    """Rows of ``results/stft-released-order/erratum.csv`` (published, released order, warm correct)."""
    rows = list(csv.DictReader(res.text("stft-released-order/erratum.csv").splitlines()))
    need = {"study", "published", "released_order", "diff", "within_0_03", "correct_pairing"}
    if not rows or not need <= set(rows[0]):
        raise DocSourceError(f"stft-released-order/erratum.csv: columns {sorted(need)} expected")
    return rows


# ----------------------------------------------------------------------------- gear
def gear_score(res: Results, model: str, factor: str, key: str) -> float:
    """A GEAR score of one factor (``knn_r2_k10``, ``sensitivity``, ``knn_log_ratio.median``...)."""
    rel = f"{model}/gear.json"
    return _number(dig(res.json(rel), ("factors", factor, *key.split(".")), rel), rel)


def gear_dim(res: Results, model: str) -> int:
    """Embedding size recorded in ``gear.json``."""
    rel = f"{model}/gear.json"
    return int(_number(dig(res.json(rel), ("embedding_dim",), rel), rel))


def gear_components(res: Results, model: str) -> int:
    """Connected components of the Isomap K-NN graph."""
    rel = f"{model}/gear.json"
    return int(_number(dig(res.json(rel), ("diagnostics", "isomap_graph_components"), rel), rel))


# ----------------------------------------------------------------------------- ranking
def ranking_rep(res: Results, rel: str, rep: str) -> dict:
    """The ``representations[rep]`` block of a ``ranking.json``."""
    node = dig(res.json(rel), ("representations", rep), rel)
    if not isinstance(node, dict):
        raise DocSourceError(f"{rel}: representations.{rep} is not an object")
    return node


def ranking_cell(res: Results, rel: str, rep: str, attribute: str, column: str) -> float | None:
    """Accuracy (ties left out) of one cell; None when the cell is n/a (all ties)."""
    value = dig(ranking_rep(res, rel, rep), ("accuracy", attribute, column), f"{rel}:{rep}")
    return None if value == "n/a" or value is None else _number(value, f"{rel}:{rep}")


def ranking_ties(res: Results, rel: str, rep: str, attribute: str, column: str) -> int:
    """Number of tied trials of one cell."""
    return int(_number(dig(ranking_rep(res, rel, rep), ("n_ties", attribute, column), f"{rel}:{rep}"), rel))


_ABLATION_CELL = re.compile(r"(\d\.\d{3})\((\d\.\d{3})\)(\*?)(?:t(\d+?))?(?=\d\.\d{3}\(|\s|$)")


def ablation_rows(res: Results) -> list[dict]:
    """Rows of ``results/distances/ablation_power_centring.txt`` (power x centring ablation)."""
    rows = []
    for line in res.text("distances/ablation_power_centring.txt").splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or parts[1] not in ("1", "2") or parts[2] not in ("yes", "no"):
            continue
        cells = _ABLATION_CELL.findall(parts[3])
        if len(cells) != 4:
            raise DocSourceError(f"distances/ablation_power_centring.txt: cannot read 4 cells from {line!r}")
        rows.append({"distance": parts[0], "power": parts[1], "centred": parts[2],
                     "cells": [(float(a), float(p), bool(s), int(t) if t else 0) for a, p, s, t in cells]})
    if not rows:
        raise DocSourceError("distances/ablation_power_centring.txt: no table rows found")
    return rows


def ranking_half(res: Results, rel: str, rep: str, attribute: str, column: str) -> float | None:
    """Accuracy with each tie counted as a coin flip (``accuracy_ties_as_half``)."""
    value = dig(ranking_rep(res, rel, rep), ("accuracy_ties_as_half", attribute, column), f"{rel}:{rep}")
    return None if value == "n/a" or value is None else _number(value, f"{rel}:{rep}")


def ranking_rep_names(res: Results, rel: str) -> list[tuple[str, str]]:
    """``(key, display name)`` of every representation of a ``ranking.json``, in file order."""
    reps = dig(res.json(rel), ("representations",), rel)
    return [(k, str(v.get("display_name", k))) for k, v in reps.items()]
