"""The timbre probe end to end: studies in, fits (full, LOSO, robustness) run, summary out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hear_probes.probes.timbre.agreement import study_agreement
from hear_probes.probes.timbre.crossval import LosoResult, loso_tasks, pool_loso
from hear_probes.probes.timbre.metric import (
    FitOptions,
    max_explained_variance,
    pair_differences,
)
from hear_probes.probes.timbre.parallel import run_tasks
from hear_probes.probes.timbre.regularised import nested_loso
from hear_probes.probes.timbre.robustness import (
    RobustnessConfig,
    RobustnessCurve,
    collect_curve,
    robustness_tasks,
)
from hear_probes.probes.timbre.study import Study, prepare_study
from hear_probes.probes.timbre.tasks import FitOutcome, FitTask
from hear_probes.probes.timbre.validation import TimbreInputError, align_rows

#: Studies of ``quick`` runs (the three 11-sound studies and one 14-sound study).
QUICK_DATASETS = ["Patil2012_A3", "Patil2012_DX4", "Patil2012_GD4", "Siedenburg2016_e3"]
#: Robustness sweep of ``quick`` runs.
QUICK_ROBUSTNESS = {"deltas": (0.1, 1.0, 10.0), "realisations": 2}


@dataclass
class TimbreSettings:
    """Everything that shapes a timbre run (all of it is recorded in timbre.json).

    Parameters
    ----------
    options : FitOptions
        Optimiser settings.
    loso : bool
        Run leave-one-sound-out cross-validation.
    regularised : bool
        Score the regularised learned metric by nested leave-one-sound-out
        (:mod:`hear_probes.probes.timbre.regularised`).
    robustness : RobustnessConfig or None
        Run the robustness sweep with these settings.
    rating_norm, feature_norm : str
        Normalisations (see :mod:`hear_probes.probes.timbre.study`).
    allow_identical : bool
        Accept identical embeddings for distinct sounds.
    workers : int or None
        Local worker processes (default: all CPUs).
    scheduler : str or None
        Dask scheduler address.
    """

    options: FitOptions = field(default_factory=FitOptions)
    loso: bool = True
    regularised: bool = True
    robustness: RobustnessConfig | None = None
    rating_norm: str = "none"
    feature_norm: str = "none"
    allow_identical: bool = False
    workers: int | None = None
    scheduler: str | None = None


@dataclass
class StudyResult:
    """Results of one study."""

    study: Study
    full: FitOutcome
    ev_max: float
    loso: LosoResult | None = None
    robustness: RobustnessCurve | None = None
    unlearned: dict = field(default_factory=dict)
    regularised: object | None = None

    @property
    def explained_variance(self) -> float:
        """In-sample explained variance."""
        return float(self.full.pearson_train) ** 2


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


def run_studies(  # noqa: C901, PLR0912  (collects every task kind of a run: fit, LOSO, regularised, robustness)
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
    tasks: list[FitTask] = []
    for st in studies:
        tasks.append(FitTask(("full", st.name), st.features, st.active, st.ratings, st.ratings,
                             settings.options, seed=seed, keep_weights=True))
        if settings.loso:
            tasks += loso_tasks(st, settings.options, seed=seed)
        if settings.robustness is not None:
            tasks += robustness_tasks(st, settings.robustness, settings.options)
    outcomes = run_tasks(tasks, workers=settings.workers, scheduler=settings.scheduler,
                         quiet=quiet, desc=f"timbre ({len(studies)} studies)")
    t_fit = time.perf_counter() - t0
    by_study: dict[str, dict[str, list[FitOutcome]]] = {
        st.name: {"full": [], "loso": [], "robust": []} for st in studies
    }
    for out in outcomes:
        by_study[out.key[1]][out.key[0]].append(out)
    results = []
    t_reg = 0.0
    for st in studies:
        group = by_study[st.name]
        full = group["full"][0]
        if full.error:
            raise TimbreInputError(f"{st.name}: cannot fit ({full.error})")
        if settings.options.init == "exact":  # the fit is the maximum
            ev_max = float(full.pearson_train) ** 2
        else:
            ev_max = max_explained_variance(pair_differences(st.features[:, st.active]), st.ratings)
        res = StudyResult(st, full, ev_max, unlearned=study_agreement(st.features, st.ratings))
        if settings.regularised:
            t1 = time.perf_counter()
            res.regularised = nested_loso(st.features[:, st.active], st.ratings)
            t_reg += time.perf_counter() - t1
        if settings.loso:
            res.loso = pool_loso(st, sorted(group["loso"], key=lambda o: o.key[2]))
        if settings.robustness is not None:
            res.robustness = collect_curve(st, settings.robustness, group["robust"])
        results.append(res)
    timings = {"fits": t_fit, "total": time.perf_counter() - t0}
    if settings.regularised:
        timings["regularised"] = t_reg
    return results, timings
