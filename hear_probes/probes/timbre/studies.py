"""The timbre fits over studies: studies in, fits (full, LOSO, robustness) run, summary out.

The probe's main module is :mod:`hear_probes.probes.timbre.run` (from a model or an embeddings
file to result files); this one runs the fits of prepared studies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hear_probes.probes.timbre.agreement import study_agreement
from hear_probes.probes.timbre.crossval import LosoResult, loso_tasks, pool_loso
from hear_probes.probes.timbre.metric import (
    max_explained_variance,
    pair_differences,
)
from hear_probes.probes.timbre.parallel import run_tasks
from hear_probes.probes.timbre.regularised import nested_loso
from hear_probes.probes.timbre.robustness import (
    RobustnessCurve,
    collect_curve,
    held_out_curve,
    robustness_tasks,
)
from hear_probes.probes.timbre.settings import TimbreSettings
from hear_probes.probes.timbre.study import Study, prepare_study
from hear_probes.probes.timbre.tasks import FitOutcome, FitTask, run_task
from hear_probes.probes.timbre.timbremetrics import study_timbremetrics
from hear_probes.probes.timbre.uncertainty import (
    LEARNED_SCORES,
    RAW_SCORES,
    NullTask,
    Resampled,
    StudyResampling,
    UncertaintyConfig,
    null_tasks,
    resample_scores,
    run_null_task,
    study_seed,
)
from hear_probes.probes.timbre.validation import TimbreInputError, align_rows


@dataclass
class StudyResult:
    """Results of one study.

    ``no_positive_metric``: no non-negative weighting correlates positively with the ratings
    (the exact optimum's NNLS returns zero); the in-sample score is then not reported (NaN).
    ``stats`` holds, per predictor (``euclidean``, ``cosine``, ``loso``, ``regularised``,
    ``in_sample``) and score, the observed value with its bootstrap and permutation
    replicates; ``in_sample_null`` the in-sample scores refitted on sound-permuted ratings.
    """

    study: Study
    full: FitOutcome
    ev_max: float
    loso: LosoResult | None = None
    robustness: RobustnessCurve | None = None
    robustness_in_sample: RobustnessCurve | None = None
    unlearned: dict = field(default_factory=dict)
    timbremetrics: dict = field(default_factory=dict)
    regularised: object | None = None
    stats: dict[str, dict[str, Resampled]] = field(default_factory=dict)
    in_sample_null: np.ndarray | None = None

    @property
    def no_positive_metric(self) -> bool:
        """No non-negative weighting correlates positively with the ratings."""
        return self.full.no_positive_metric

    @property
    def explained_variance(self) -> float:
        """In-sample signed explained variance (NaN when there is no positive metric)."""
        if self.no_positive_metric:
            return float("nan")
        r = float(self.full.pearson_train)
        return float(np.sign(r) * r * r)

    def predictions(self) -> dict[str, np.ndarray]:
        """``{predictor: [n_pairs]}`` pair predictions behind every score (larger = more dissimilar)."""
        from hear_probes.probes.timbre.agreement import raw_distances

        out = {m: raw_distances(self.study.features, m) for m in ("euclidean", "cosine")}
        if self.loso is not None:
            out["loso"] = self.loso.predicted
        if self.regularised is not None:
            out["regularised"] = self.regularised.predicted
        out["in_sample"] = (np.full(self.study.ratings.shape, np.nan) if self.no_positive_metric
                            else np.asarray(self.full.predicted, dtype=np.float64))
        return out


def run_any(task):
    """Worker entry point of a mixed batch: metric fits and in-sample null blocks."""
    return run_null_task(task) if isinstance(task, NullTask) else run_task(task)


def study_statistics(res: StudyResult, config: UncertaintyConfig) -> dict[str, dict[str, Resampled]]:
    """Bootstrap and permutation replicates of every score of one study (fixed predictions)."""
    rs = StudyResampling.draw(res.study.name, res.study.n_sounds, config)
    s = res.study.ratings
    out = {}
    for name, pred in res.predictions().items():
        scores = RAW_SCORES if name in ("euclidean", "cosine") else LEARNED_SCORES
        if name in res.study.notes:  # every distance tied: no score, never rounding noise
            continue
        out[name] = resample_scores(pred, s, rs, scores)
    return out


def load_studies(
    data_dir: str | Path,
    datasets: Sequence[str],
    rows_for: Callable[[object], np.ndarray],
    settings: TimbreSettings,
) -> list[Study]:
    """Load the ratings of ``datasets`` and pair them with embeddings.

    Parameters
    ----------
    data_dir : path
        Timbre folder (``sounds/``, ``ratings/``); the ratings always come from here.
    datasets : sequence of str
    rows_for : callable
        ``rows_for(TimbreDataset) -> [n_sounds, dim]`` embeddings in the dataset's
        ``item_ids`` order.
    settings : TimbreSettings
    """
    from hear_probes.stimuli.timbre import load_timbre_dataset

    studies = []
    for name in datasets:
        ds = load_timbre_dataset(data_dir, name)
        emb = rows_for(ds)
        studies.append(
            prepare_study(name, emb, ds.item_ids, ds.ratings, n_raters=ds.n_raters,
                          rating_norm=settings.rating_norm, feature_norm=settings.feature_norm,
                          allow_identical=settings.allow_identical)
        )
    return studies


def rows_from_file(path: str | Path) -> Callable[[object], np.ndarray]:
    """``rows_for`` reading ``/timbre/<Dataset>`` of an HDF5 file, matched by ``item_ids``."""
    from hear_probes.store import read_embeddings_file

    def rows_for(ds) -> np.ndarray:
        stored = read_embeddings_file(path, "timbre", ds.name)
        return align_rows(stored.item_ids, stored.embeddings, ds.item_ids, f"{path}:/timbre/{ds.name}")

    return rows_for


def run_studies(
    studies: Sequence[Study], settings: TimbreSettings, *, seed: int = 0, quiet: bool = False
) -> tuple[list[StudyResult], dict[str, float]]:
    """Run every fit of every study in one parallel batch and assemble the results.

    Returns
    -------
    results : list of StudyResult
        In the order of ``studies``.
    timings : dict
        Wall-clock seconds per stage.
    """
    if not studies:
        raise TimbreInputError("no timbre study to evaluate (empty --datasets?)")
    t0 = time.perf_counter()
    tasks: list = []
    unc = settings.uncertainty
    for st in studies:
        tasks.append(FitTask(("full", st.name), st.features, st.active, st.ratings, st.ratings,
                             settings.options, seed=seed, keep_weights=True))
        if settings.loso:
            tasks += loso_tasks(st, settings.options, seed=seed)
        if settings.robustness is not None and settings.robustness_in_sample:
            tasks += robustness_tasks(st, settings.robustness, settings.options)
        if unc is not None:
            tasks += null_tasks(st.name, st.features, st.active, st.ratings, unc)
    outcomes = run_tasks(tasks, workers=settings.workers, scheduler=settings.scheduler,
                         quiet=quiet, desc=f"timbre ({len(studies)} studies)", func=run_any)
    t_fit = time.perf_counter() - t0
    by_study: dict[str, dict[str, list]] = {
        st.name: {"full": [], "loso": [], "robust": [], "null": []} for st in studies
    }
    for out in outcomes:
        key = out[0] if isinstance(out, tuple) else out.key
        by_study[key[1]][key[0]].append(out)
    results = []
    stage = {"regularised": 0.0, "robustness_held_out": 0.0, "bootstrap_permutations": 0.0,
             "timbremetrics": 0.0}
    for st in studies:
        results.append(_assemble(st, by_study[st.name], settings, stage))
    timings = {"fits": t_fit, "total": time.perf_counter() - t0}
    ran = {"regularised": settings.regularised, "robustness_held_out": settings.robustness is not None,
           "bootstrap_permutations": unc is not None, "timbremetrics": True}
    timings.update({k: v for k, v in stage.items() if ran[k]})
    return results, timings


def _timbremetrics(st: Study, unc: UncertaintyConfig | None) -> dict:
    """The timbremetrics-compatible scores of a study (Mantel p-values when ``unc`` permutes)."""
    n_perm = unc.n_permutations if unc is not None else 0
    seed = study_seed(unc.seed, st.name, "timbremetrics") if unc is not None else 0
    return study_timbremetrics(st.features, st.ratings, n_permutations=n_perm, seed=seed)


def _assemble(st: Study, group: dict[str, list], settings: TimbreSettings,
              stage: dict[str, float]) -> StudyResult:
    """One study's result from its fit outcomes; in-process stages are timed into ``stage``."""
    full = group["full"][0]
    if full.error:
        raise TimbreInputError(f"{st.name}: cannot fit ({full.error})")
    if full.no_positive_metric:
        ev_max = float("nan")
    elif settings.options.init == "exact":  # the fit is the maximum
        r = float(full.pearson_train)
        ev_max = float(np.sign(r) * r * r)
    else:
        ev_max = max_explained_variance(pair_differences(st.features[:, st.active]), st.ratings)
    res = StudyResult(st, full, ev_max, unlearned=study_agreement(st.features, st.ratings))
    t1 = time.perf_counter()
    res.timbremetrics = _timbremetrics(st, settings.uncertainty)
    stage["timbremetrics"] += time.perf_counter() - t1
    if settings.regularised:
        t1 = time.perf_counter()
        res.regularised = nested_loso(st.features[:, st.active], st.ratings,
                                      spec=settings.regularised_spec)
        stage["regularised"] += time.perf_counter() - t1
    if settings.loso:
        res.loso = pool_loso(st, sorted(group["loso"], key=lambda o: o.key[2]))
    if settings.robustness is not None:
        t1 = time.perf_counter()
        res.robustness = held_out_curve(st, settings.robustness, settings.regularised_spec)
        stage["robustness_held_out"] += time.perf_counter() - t1
        if settings.robustness_in_sample:
            res.robustness_in_sample = collect_curve(st, settings.robustness, group["robust"])
    if settings.uncertainty is not None:
        t1 = time.perf_counter()
        res.stats = study_statistics(res, settings.uncertainty)
        nulls = sorted(group["null"], key=lambda o: o[0][2])
        res.in_sample_null = np.concatenate([o[1] for o in nulls]) if nulls else np.zeros(0)
        stage["bootstrap_permutations"] += time.perf_counter() - t1
    return res
