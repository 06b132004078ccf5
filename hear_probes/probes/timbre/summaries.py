"""The statistical blocks of timbre.json: intervals, p-values, chance levels, medians.

Per score family stored under key ``K`` as ``{study: value}`` (docs/timbre.md, "Intervals and
chance"), the siblings are ``K_ci`` (``{study: [low, high]}``), ``K_p`` (Mantel permutation
p-value, or the in-sample refit null), ``K_p_holm`` (Holm-adjusted across the studies of the
run), ``K_chance`` (``{study: [median, 95th percentile]}`` of the null); the median over
studies ``M`` gets ``M_ci`` (median of the joint bootstrap replicates).

A study with "no positive metric" (no non-negative weighting correlates positively with its
ratings) has no in-sample score (null); it counts as 0 in the in-sample median (the best
learned metric explains no variance), and its replicates count as 0 too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hear_probes.probes.timbre.studies import StudyResult
from hear_probes.probes.timbre.uncertainty import Resampled, UncertaintyConfig, median_with_interval
from hear_probes.stats import holm, permutation_p_value

#: The definition recorded in timbre.json (``explained_variance_definition``).
EV_DEFINITION = (
    "signed explained variance sign(r) * r^2 of the Pearson correlation r between the "
    "predicted dissimilarities and the mean ratings: an anti-correlated prediction gets a "
    "negative score, never a positive one (every EV of this file: unlearned, held-out, "
    "in-sample, robustness)")

#: Table I's 17 studies (Pascal & Lagrange 2024), for the 17-study medians.
def paper_studies() -> list[str]:
    """The 17 studies of Table I."""
    from hear_probes.stimuli.timbre import TIMBRE_DATASETS

    return list(TIMBRE_DATASETS)


def _f(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def _pair(a, b) -> list | None:
    lo, hi = _f(a), _f(b)
    return None if lo is None and hi is None else [lo, hi]


def family_block(key: str, stats: dict[str, Resampled], level: float,
                 null_p: dict[str, float] | None = None,
                 null_chance: dict[str, tuple[float, float]] | None = None) -> dict:
    """``{K_ci, K_p, K_p_holm, K_chance}`` of one score family over the studies of ``stats``.

    Parameters
    ----------
    key : str
        ``K``.
    stats : dict
        ``{study: Resampled}``.
    level : float
        Interval coverage.
    null_p, null_chance : dict, optional
        p-values and chance levels that replace the Mantel ones (the in-sample refit null).
    """
    names = list(stats)
    ci = {n: _pair(*stats[n].interval(level)) for n in names}
    p = {n: null_p.get(n) if null_p is not None else stats[n].p_value() for n in names}
    chance = {n: null_chance.get(n) if null_chance is not None else stats[n].chance()
              for n in names}
    adj = holm(np.array([np.nan if p[n] is None else p[n] for n in names], dtype=float))
    return {f"{key}_ci": ci,
            f"{key}_p": {n: _f(p[n]) for n in names},
            f"{key}_p_holm": {n: _f(a) for n, a in zip(names, adj, strict=True)},
            f"{key}_chance": {n: None if chance[n] is None else _pair(*chance[n]) for n in names}}


def _median_ci(values: dict[str, float], boots: dict[str, np.ndarray], level: float,
               subset: Sequence[str] | None = None) -> tuple[float, list | None, int]:
    keep = [k for k in values if subset is None or k in subset]
    med, (lo, hi) = median_with_interval({k: values[k] for k in keep},
                                         {k: boots[k] for k in keep if k in boots}, level)
    n = sum(1 for k in keep if values[k] is not None and np.isfinite(values[k]))
    return med, _pair(lo, hi), n


def in_sample_null_stats(results: Sequence[StudyResult]) -> tuple[dict, dict]:
    """In-sample p-values and chance levels from the refit null (``{study: p}``, ``{study: (m, q95)}``)."""
    p, chance = {}, {}
    for r in results:
        null = r.in_sample_null if r.in_sample_null is not None else np.zeros(0)
        ev = r.explained_variance
        p[r.study.name] = (float(permutation_p_value(ev, null))
                           if null.size and np.isfinite(ev) else float("nan"))
        chance[r.study.name] = ((float(np.median(null)), float(np.percentile(null, 95)))
                                if null.size else (float("nan"), float("nan")))
    return p, chance


def learned_families(results: Sequence[StudyResult]) -> list[tuple[str, str, str, str]]:
    """``(key, median key, predictor, score)`` of the learned score families present."""
    fams = [("explained_variance", "median", "in_sample", "explained_variance"),
            ("in_sample_pearson", "in_sample_pearson_median", "in_sample", "pearson")]
    if any(r.loso is not None for r in results):
        fams += [("loso_explained_variance", "loso_median", "loso", "explained_variance"),
                 ("loso_pearson", "loso_pearson_median", "loso", "pearson")]
    if any(r.regularised is not None for r in results):
        fams += [("regularised_loso_explained_variance", "regularised_loso_median", "regularised",
                  "explained_variance"),
                 ("regularised_loso_pearson", "regularised_loso_pearson_median", "regularised",
                  "pearson")]
    return fams


def _values_and_boots(results: Sequence[StudyResult], predictor: str, score: str
                      ) -> tuple[dict[str, float], dict[str, np.ndarray], dict[str, Resampled]]:
    """Observed values (0 for "no positive metric" in-sample) and replicates per study."""
    values, boots, stats = {}, {}, {}
    for r in results:
        st = r.stats.get(predictor, {}).get(score)
        if predictor == "in_sample" and r.no_positive_metric:
            n_boot = next((len(v.boot) for d in r.stats.values() for v in d.values()), 0)
            values[r.study.name] = 0.0
            boots[r.study.name] = np.zeros(n_boot)
            continue
        if st is None:
            continue
        stats[r.study.name] = st
        values[r.study.name] = st.value
        boots[r.study.name] = st.boot
    return values, boots, stats


def statistics_payload(results: Sequence[StudyResult], config: UncertaintyConfig) -> dict:
    """Every interval, p-value, chance level and median interval of the learned scores.

    The unlearned ones go into the ``unlearned`` block (:func:`unlearned_statistics`).
    """
    level = config.level
    out: dict = {"interval_method": config.interval_method(),
                 "chance_method": config.chance_method(),
                 "uncertainty": {"n_bootstrap": config.n_bootstrap,
                                 "n_permutations": config.n_permutations,
                                 "n_null_fits": config.n_null_fits, "level": level,
                                 "seed": config.seed}}
    null_p, null_chance = in_sample_null_stats(results)
    subsets = {"all": None, "table1_17": paper_studies()}
    summary: dict = {name: {"studies": [r.study.name for r in results
                                        if sub is None or r.study.name in sub], "scores": {}}
                     for name, sub in subsets.items()}
    for key, med_key, predictor, score in learned_families(results):
        values, boots, stats = _values_and_boots(results, predictor, score)
        if not stats:
            continue
        if key != "explained_variance":
            out[key] = {r.study.name: _f(stats[r.study.name].value) if r.study.name in stats
                        else None for r in results}
        is_in_sample = predictor == "in_sample"
        out.update(family_block(key, stats, level, null_p if is_in_sample else None,
                                null_chance if is_in_sample else None))
        med, ci, _ = _median_ci(values, boots, level)
        if med_key.endswith("pearson_median"):  # the EV medians are written by results.py
            out[med_key] = _f(med)
        out[f"{med_key}_ci"] = ci
        for name, sub in subsets.items():
            m, c, n = _median_ci(values, boots, level, sub)
            if n:
                summary[name]["scores"][key] = {"median": _f(m), "median_ci": c, "n": n}
    out["summary_subsets"] = {k: v for k, v in summary.items() if v["studies"]}
    return out


def unlearned_statistics(results: Sequence[StudyResult], metric: str, scores: Sequence[str],
                         level: float) -> dict:
    """``{score_ci, score_p, score_p_holm, score_chance}`` and ``median_ci`` of one raw distance."""
    out: dict = {}
    median_ci: dict = {}
    for score in scores:
        stats = {r.study.name: r.stats[metric][score] for r in results
                 if score in r.stats.get(metric, {})}
        if not stats:
            continue
        out.update(family_block(score, stats, level))
        _, ci, _ = _median_ci({k: v.value for k, v in stats.items()},
                              {k: v.boot for k, v in stats.items()}, level)
        median_ci[score] = ci
    if median_ci:
        out["median_ci"] = median_ci
    return out


def unlearned_subsets(results: Sequence[StudyResult], level: float) -> dict:
    """Medians with intervals of the unlearned scores over all studies and over Table I's 17."""
    out: dict = {}
    for name, sub in {"all": None, "table1_17": paper_studies()}.items():
        block: dict = {}
        for metric in ("euclidean", "cosine"):
            for score in ("explained_variance", "spearman", "triplet_agreement"):
                stats = {r.study.name: r.stats[metric][score] for r in results
                         if score in r.stats.get(metric, {})}
                m, c, n = _median_ci({k: v.value for k, v in stats.items()},
                                     {k: v.boot for k, v in stats.items()}, level, sub)
                if n:
                    block[f"{metric}_{score}"] = {"median": _f(m), "median_ci": c, "n": n}
        if block:
            out[name] = block
    return out
