"""Paired comparison of two models' GEAR scores over seeds.

A GEAR seed fixes the random draws of a run (stimuli, folds, pair subsample); two models
run with the same seeds (``seeds.seeds`` of ``gear.json``) on the same stimulus variant are
paired seed by seed. Each score with per-seed values
(``factors.<factor>.<score>_seeds``) is compared by a paired Student t over seeds
(:func:`hear_probes.stats.paired.paired_t`). Results without per-seed values, or with
different seeds, are skipped with the reason.
"""

from __future__ import annotations

import numpy as np

from hear_probes.compare.records import PairedTest, Skipped
from hear_probes.compare.settings import CompareSettings
from hear_probes.probes.gear.schema import GEAR_SCORES
from hear_probes.stats.paired import paired_t

__all__ = ["compare_gear"]

#: GEAR scores compared when their per-seed values are stored.


def _values(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _seeds(payload: dict):
    """The run's seed list: ``seeds.seeds`` (or ``settings.seeds``); None when not recorded."""
    block = payload.get("seeds")
    if isinstance(block, dict) and block.get("seeds") is not None:
        return block["seeds"]
    return (payload.get("settings") or {}).get("seeds")


def _variant(payload: dict):
    return (payload.get("stimulus") or {}).get("variant")


def compare_gear(payload_a: dict, payload_b: dict, names: tuple[str, str],
                 settings: CompareSettings) -> tuple[list[PairedTest], list[Skipped]]:
    """Paired t-tests over seeds of every GEAR factor and score stored per seed in both runs.

    Returns
    -------
    (tests, skipped) : tuple
        :class:`PairedTest` records, or one :class:`Skipped` saying why nothing is comparable.
    """
    a, b = names
    if _variant(payload_a) != _variant(payload_b):
        return [], [Skipped("gear", a, b, "not comparable: different stimulus variants "
                            f"({_variant(payload_a)} vs {_variant(payload_b)})")]
    if _seeds(payload_a) != _seeds(payload_b):
        return [], [Skipped("gear", a, b, "not comparable: the runs used different seeds "
                            f"({_seeds(payload_a)} vs {_seeds(payload_b)}); rerun both with the same seeds")]
    tests = []
    fa, fb = payload_a.get("factors") or {}, payload_b.get("factors") or {}
    for factor in fa:
        for score in GEAR_SCORES:
            va = (fa.get(factor) or {}).get(f"{score}_seeds")
            vb = (fb.get(factor) or {}).get(f"{score}_seeds")
            if not va or not vb or len(va) != len(vb) or len(va) < 2:
                continue
            xa, xb = _values(va), _values(vb)
            res = paired_t(xb - xa, settings.level)
            tests.append(PairedTest(
                probe="gear", level="seeds", a=a, b=b, metric=score, unit=factor,
                score_a=float(np.nanmean(xa)), score_b=float(np.nanmean(xb)),
                difference=res["mean"], difference_ci=res["ci"], p=res["p"],
                test=f"paired Student t over {res['n']} seeds (same seeds for both models)",
                family="gear scores", n=res["n"]))
    if not tests:
        return [], [Skipped("gear", a, b, "not comparable: per-seed values not stored in "
                            "gear.json (needs factors.<factor>.<score>_seeds from a run over "
                            "at least 2 seeds)")]
    return tests, []
