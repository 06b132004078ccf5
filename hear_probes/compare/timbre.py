"""Paired comparison of two models' timbre scores: per study and across studies.

Per study
    A paired bootstrap over **sounds** (:mod:`hear_probes.stats.resampling`): each resample
    draws the study's sounds with replacement and keeps the pairs of two distinct drawn
    sounds (weights ``c_i c_j``). Both models are scored on the *same* resample, so each
    resample gives one difference ``score_B - score_A``; the percentile interval of those
    differences is the interval, and :func:`hear_probes.stats.paired.bootstrap_p_value` the
    two-sided p-value. Sounds shared by both models' errors cancel in the difference, which is
    why a paired test is far more sensitive than comparing two separate intervals.

Across studies
    A Wilcoxon signed-rank test over independent units. Studies that share sounds
    (:data:`hear_probes.probes.timbre.groups.SHARED_SOUND_GROUPS`: Grey 1977/1978, the three
    Iverson views, Lakatos Harm/Perc/Comb, Siedenburg 2016 and Saitis 2020, Zacharakis
    English/Greek) are one unit: their differences are averaged first, so the 21 studies give
    11 units. The median difference over units gets its distribution-free order-statistic
    interval (:func:`hear_probes.stats.paired.median_interval`); the Hodges-Lehmann shift and
    its Wilcoxon-inverted interval (:func:`hear_probes.stats.paired.hodges_lehmann`), which
    agree with the test, are stored too.

Scores compared (:data:`TIMBRE_METRICS`)
    The unlearned Euclidean and cosine distances (signed explained variance ``sign(r) r^2``
    and Spearman's rho), and the held-out predictions (leave-one-sound-out metric and the
    regularised metric; signed EV). The in-sample fit is **not** tested: it is fitted on the
    very pairs it is scored on, reaches 1 whenever dimensions outnumber pairs, and a bootstrap
    that keeps its fitted predictions fixed ignores the refit. It is an upper bound, not a
    score to rank models by. The held-out predictions are also kept fixed across resamples:
    their intervals are conditional on the fits (the variation of which sounds were rated,
    not of the fitting).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from hear_probes.compare.inputs import TimbrePairs, check_same_studies
from hear_probes.compare.records import PairedTest, Skipped
from hear_probes.compare.settings import CompareSettings
from hear_probes.probes.timbre.groups import group_studies
from hear_probes.probes.timbre.pairs_file import StudyPairs
from hear_probes.stats.batched import pearson_columns, spearman_columns
from hear_probes.stats.paired import (
    bootstrap_p_value,
    hodges_lehmann,
    median_interval,
    wilcoxon_signed_rank,
)
from hear_probes.stats.resampling import (
    pair_weights,
    percentile_interval,
    signed_ev,
    sound_bootstrap_counts,
)

__all__ = ["TIMBRE_METRICS", "TimbreMetric", "compare_timbre", "study_replicates", "study_seed"]


@dataclass(frozen=True)
class TimbreMetric:
    """A timbre score that can be compared pair by pair.

    Attributes
    ----------
    name : str
        Key in the results (``euclidean_ev``...).
    predictor : str
        Dataset of the pair file it is computed from.
    statistic : {"ev", "spearman"}
        Signed explained variance ``sign(r) r^2`` of the Pearson correlation, or Spearman's rho.
    label : str
        Short label for tables.
    """

    name: str
    predictor: str
    statistic: str
    label: str


#: The compared scores, in table order (the in-sample fit is left out: see the module docstring).
TIMBRE_METRICS: tuple[TimbreMetric, ...] = (
    TimbreMetric("euclidean_ev", "euclidean", "ev", "euclid EV"),
    TimbreMetric("euclidean_spearman", "euclidean", "spearman", "euclid rho"),
    TimbreMetric("cosine_ev", "cosine", "ev", "cosine EV"),
    TimbreMetric("cosine_spearman", "cosine", "spearman", "cosine rho"),
    TimbreMetric("loso_ev", "loso", "ev", "LOSO EV"),
    TimbreMetric("regularised_ev", "regularised", "ev", "regul. EV"),
)


def study_seed(seed: int, study: str) -> int:
    """Seed of a study's resamples: from ``seed`` and the study's name (not its position)."""
    return int(np.random.SeedSequence([seed, zlib.crc32(study.encode())]).generate_state(1)[0])


def study_replicates(studies: list[StudyPairs], metrics: list[TimbreMetric],
                     weights: np.ndarray) -> list[dict[str, tuple[float, np.ndarray]]]:
    """Scores of one study for several models, on all pairs and on each bootstrap resample.

    Parameters
    ----------
    studies : list of StudyPairs
        The same study as seen by each model (same pairs and ratings).
    metrics : list of TimbreMetric
    weights : np.ndarray
        ``[B, n_pairs]`` resample weights (:func:`~hear_probes.stats.resampling.pair_weights`),
        shared by every model: this is what makes the comparison paired.

    Returns
    -------
    list of dict
        Per model, ``{metric name: (observed score, [B] replicates)}`` for the metrics whose
        predictor the model's pair file holds.
    """
    rating = np.asarray(studies[0].rating, dtype=np.float64)
    out: list[dict] = [{} for _ in studies]
    for statistic, corr in (("ev", pearson_columns), ("spearman", spearman_columns)):
        rows = [(k, m) for k, sp in enumerate(studies) for m in metrics
                if m.statistic == statistic and m.predictor in sp.predictors]
        if not rows:
            continue
        ys = np.stack([studies[k].predictors[m.predictor] for k, m in rows])
        observed, reps = corr(rating, ys)[:, 0], corr(rating, ys, weights)
        if statistic == "ev":
            observed, reps = signed_ev(observed), signed_ev(reps)
        for row, (k, m) in enumerate(rows):
            out[k][m.name] = (float(observed[row]), reps[row])
    return out


def _metrics_available(models: list[TimbrePairs]) -> tuple[list[TimbreMetric], dict[str, str]]:
    """Metrics every study of every model can give, and why the others cannot."""
    ok, why = [], {}
    for m in TIMBRE_METRICS:
        lacking = [f"{model.path} ({study})" for model in models
                   for study, sp in model.studies.items() if m.predictor not in sp.predictors]
        if lacking:
            more = f" and {len(lacking) - 1} more" if len(lacking) > 1 else ""
            why[m.name] = (f"not comparable: no '{m.predictor}' predictions in {lacking[0]}{more}; "
                           "rerun the timbre probe with them")
        else:
            ok.append(m)
    return ok, why


def _replicates(models: list[TimbrePairs], metrics: list[TimbreMetric],
                settings: CompareSettings) -> tuple[dict, dict]:
    """Per model, study and metric: ``(observed, [B] replicates)`` on shared resamples."""
    ref = models[0]
    reps: dict = {k: {} for k in range(len(models))}
    n_sounds = {}
    for study, sp in ref.studies.items():
        counts = sound_bootstrap_counts(sp.n_sounds, settings.n_resamples,
                                        seed=study_seed(settings.seed, study))
        n_sounds[study] = sp.n_sounds
        scores = study_replicates([m.studies[study] for m in models], metrics,
                                  pair_weights(counts, sp.i, sp.j))
        for k, per_metric in enumerate(scores):
            reps[k][study] = per_metric
    return reps, n_sounds


#: Differences of scores (correlations, in [-1, 1]) this small are float rounding: two models
#: with identical predictions must differ by exactly 0, or a bootstrap whose every replicate
#: is +1e-17 would call them different.
ROUNDING = 1e-12


def _difference(b: np.ndarray | float, a: np.ndarray | float) -> np.ndarray:
    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    return np.where(np.abs(d) <= ROUNDING, 0.0, d)


def _per_study_tests(names: tuple[str, str], ra: dict, rb: dict, metric: TimbreMetric,
                     n_sounds: dict, settings: CompareSettings) -> list[PairedTest]:
    a, b = names
    test = (f"paired bootstrap over sounds ({settings.n_resamples} resamples, seed "
            f"{settings.seed}; the same resampled sounds for both models), percentile "
            f"{settings.level:.0%} interval, two-sided bootstrap p")
    out = []
    for study in ra:
        (sa, reps_a), (sb, reps_b) = ra[study][metric.name], rb[study][metric.name]
        diff = _difference(reps_b, reps_a)
        lo, hi = percentile_interval(diff, settings.level)
        out.append(PairedTest(
            probe="timbre", level="study", a=a, b=b, metric=metric.name, unit=study,
            score_a=sa, score_b=sb, difference=float(_difference(sb, sa)), difference_ci=[float(lo), float(hi)],
            p=bootstrap_p_value(diff), test=test, family=f"timbre per study: {metric.name}, {b} - {a}",
            n=n_sounds[study], details={"n_valid_resamples": int(np.isfinite(diff).sum())}))
    return out


def _across_test(names: tuple[str, str], per_study: list[PairedTest], ra: dict, rb: dict,
                 metric: TimbreMetric, settings: CompareSettings) -> PairedTest:
    a, b = names
    groups = group_studies([t.unit for t in per_study])
    diff = {t.unit: t.difference for t in per_study}

    def per_group(values: dict) -> np.ndarray:
        return np.array([np.nanmean([values[s] for s in ss]) for ss in groups.values()])

    unit_diff = per_group(diff)
    unit_a = per_group({s: ra[s][metric.name][0] for s in diff})
    unit_b = per_group({s: rb[s][metric.name][0] for s in diff})
    stat, p, n_used = wilcoxon_signed_rank(unit_diff)
    lo, hi, coverage = median_interval(unit_diff, settings.level)
    hl, hl_lo, hl_hi = hodges_lehmann(unit_diff, settings.level)
    test = (f"Wilcoxon signed-rank over {len(groups)} independent groups of studies (studies "
            "sharing sounds averaged first: hear_probes/probes/timbre/groups.py); median "
            f"difference over groups with its distribution-free {settings.level:.0%} "
            "order-statistic interval")
    return PairedTest(
        probe="timbre", level="across studies", a=a, b=b, metric=metric.name,
        unit="all studies", score_a=float(np.nanmedian(unit_a)),
        score_b=float(np.nanmedian(unit_b)), difference=float(np.nanmedian(unit_diff)),
        difference_ci=[lo, hi], p=p, test=test, family="timbre across studies", n=len(groups),
        details={"wilcoxon_statistic": stat, "n_nonzero": n_used, "n_studies": len(per_study),
                 "median_interval_coverage": coverage,
                 "hodges_lehmann": hl, "hodges_lehmann_ci": [hl_lo, hl_hi],
                 "group_differences": {g: float(d) for g, d in zip(groups, unit_diff, strict=True)},
                 "groups": {g: list(ss) for g, ss in groups.items()},
                 "n_b_better": int((unit_diff > 0).sum()), "n_a_better": int((unit_diff < 0).sum())})


def compare_timbre(models: list[TimbrePairs], pairs: list[tuple[int, int]],
                   settings: CompareSettings) -> tuple[list[PairedTest], list[Skipped]]:
    """Paired tests of every timbre score for every pair of models.

    Parameters
    ----------
    models : list of TimbrePairs
        Loaded pair files (:func:`hear_probes.compare.inputs.load_timbre_pairs`), with
        unique names.
    pairs : list of (int, int)
        Indices ``(a, b)`` into ``models`` (:func:`hear_probes.compare.settings.model_pairs`).
    settings : CompareSettings

    Returns
    -------
    (tests, skipped) : tuple
        Per-study and across-study :class:`PairedTest` records (raw p-values; Holm is
        applied by :func:`hear_probes.compare.run.apply_holm`) and the scores that could not
        be compared.

    Raises
    ------
    HearProbesError
        Two compared models hold different studies, sounds, pairs or ratings.
    """
    for ia, ib in pairs:
        check_same_studies(models[ia], models[ib])
    reps, n_sounds = _replicates(models, list(TIMBRE_METRICS), settings)
    tests: list[PairedTest] = []
    skipped: list[Skipped] = []
    for ia, ib in pairs:
        names = (models[ia].name, models[ib].name)
        metrics, why = _metrics_available([models[ia], models[ib]])
        skipped += [Skipped("timbre", *names, f"{name}: {reason}") for name, reason in why.items()]
        for m in metrics:
            per_study = _per_study_tests(names, reps[ia], reps[ib], m, n_sounds, settings)
            tests += per_study
            tests.append(_across_test(names, per_study, reps[ia], reps[ib], m, settings))
    return tests, skipped
