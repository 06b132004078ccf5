"""GEAR scores over several seeds: mean, 95 % t-interval and the per-seed values.

A GEAR seed draws the random parts of one run (``docs/gear.md``, "Seeds and intervals"): the
stimulus draws (f1 of each (alpha, r) cell in the paper design, f0 of each tone in the
perceptual design, the tone subset of ``--quick``/``--n-tones``), the Isomap-linear
cross-validation folds and the subsample of pairs of the sensitivity score. The Isomap graph and
the kNN regressions have no randomness of their own: with fixed stimuli (``--embeddings``) only
the folds and the pair subsample vary.
"""

from __future__ import annotations

import math
import re

import numpy as np
from scipy.stats import t as student_t

__all__ = ["SEED_SCORES", "t_interval", "aggregate_factor", "interval_method"]

#: Per-factor scores that get ``_ci`` and ``_seeds`` siblings.
SEED_SCORES = ("knn_r2_k10", "knn_r2_k40", "isomap_linear_r2", "sensitivity", "distance_effect")
#: Log-ratio statistics averaged over seeds (with ``_ci`` / ``_seeds`` in ``knn_log_ratio_ci``).
LOG_RATIO_STATS = ("median", "q25", "q75", "iqr", "mean_abs", "median_abs")
#: Confidence level of the intervals.
LEVEL = 0.95
#: Upper bound of the scores that have one (R2 and Spearman rho cannot exceed 1): a t interval
#: is cut there, so that it never claims an impossible value.
UPPER_BOUND = {"isomap_linear_r2": 1.0, "sensitivity": 1.0}


def interval_method(n_seeds: int, varies: str) -> str:
    """The ``interval_method`` string of a run over ``n_seeds`` seeds."""
    return (f"mean over {n_seeds} seeds, two-sided {LEVEL:.0%} Student t interval "
            f"(df = {n_seeds - 1}); a seed varies: {varies}")


def t_interval(values, level: float = LEVEL) -> tuple[float, list[float | None]]:
    """Mean and Student-t confidence interval of the finite values.

    Parameters
    ----------
    values : sequence of float
        One score per seed (NaN/None are ignored).
    level : float
        Confidence level.

    Returns
    -------
    (float, list)
        The mean (NaN when no value is finite) and ``[low, high]`` (``[mean, mean]`` for
        identical values, ``[None, None]`` with fewer than two finite values).
    """
    v = np.array([np.nan if x is None else x for x in values], dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), [None, None]
    mean = float(v.mean())
    if v.size < 2:
        return mean, [None, None]
    half = float(student_t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return mean, [mean - half, mean + half]


def _count(values: list) -> float | int:
    """Counts agree across seeds on a fixed grid: keep them as ints then, else their mean."""
    return int(values[0]) if len(set(values)) == 1 else float(np.mean(values))


def aggregate_factor(per_seed: list[dict], method: str) -> dict:
    """Combine one factor's per-seed result blocks into one block with intervals.

    Parameters
    ----------
    per_seed : list of dict
        The factor's block of each seed (:func:`~hear_probes.probes.gear.analysis.analyse`).
    method : str
        The ``interval_method`` string.

    Returns
    -------
    dict
        For each score K of :data:`SEED_SCORES`: ``K`` (mean over seeds), ``K_ci`` ``[low,
        high]`` (cut at 1 for R2 and rho), ``K_seeds`` (per seed); ``K_chance`` / ``K_p`` averaged / maxed over seeds
        where present; ``knn_log_ratio`` (stats averaged, counts kept), ``knn_log_ratio_ci``
        and ``knn_log_ratio_seeds``; counts of pairs (mean over seeds); ``interval_method``.
    """
    first = per_seed[0]
    out: dict = {"scale": first["scale"]}
    # K of the kNN scores is capped at n - 1 on small sets (knn_r2_k24 for 25 tones)
    keys = [k for k in first if k in SEED_SCORES or re.fullmatch(r"knn_r2_k\d+", k)]
    for key in keys:
        vals = [b[key] for b in per_seed]
        out[key], ci = t_interval(vals)
        bound = 1.0 if key.startswith("knn_r2_k") else UPPER_BOUND.get(key)
        if bound is not None and ci[1] is not None:
            ci = [min(ci[0], bound), min(ci[1], bound)]
        out[f"{key}_ci"] = ci
        out[f"{key}_seeds"] = [float(v) for v in vals]
        if f"{key}_chance" in first:
            out[f"{key}_chance"] = float(np.mean([b[f"{key}_chance"] for b in per_seed]))
        if f"{key}_p" in first:  # the least significant seed: a conservative summary
            out[f"{key}_p"] = float(max(b[f"{key}_p"] for b in per_seed))
    lr = [b["knn_log_ratio"] for b in per_seed]
    summary, cis = {}, {}
    for stat in first["knn_log_ratio"]:
        vals = [s[stat] for s in lr]
        if stat in LOG_RATIO_STATS:
            summary[stat], cis[stat] = t_interval(vals)
        else:
            summary[stat] = _count(vals)
    out["knn_log_ratio"] = summary
    out["knn_log_ratio_ci"] = cis
    out["knn_log_ratio_seeds"] = {s: [float(x[s]) for x in lr] for s in LOG_RATIO_STATS}
    for key in ("sensitivity_n_pairs", "distance_effect_n_pairs",
                "distance_effect_n_baseline_pairs"):
        out[key] = _count([b[key] for b in per_seed])
    out["interval_method"] = method
    return out
