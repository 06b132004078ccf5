"""Array-level scorers: the probes' scores of embeddings you already have.

Each returns the same :class:`~hear_probes.api.results.Results` as
:func:`~hear_probes.evaluate` (so ``.to_pandas()`` and ``.compare()`` work alike), and writes
the probe's files only when ``out`` is given.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from hear_probes.api._internals import get
from hear_probes.api.results import ResultEntry, Results
from hear_probes.errors import HearProbesError

__all__ = ["ranking_stimuli", "score_gear", "score_ranking", "score_timbre"]


def _matrix(x: Any, what: str) -> np.ndarray:
    arr = np.asarray(get("to_numpy")(x), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise HearProbesError(f"{what}: expected a 2-D array [n_items, dim], got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise HearProbesError(f"{what}: {int(np.count_nonzero(~np.isfinite(arr)))} NaN/inf values")
    return arr


def _model_info(model: str) -> dict:
    return {"model_id": model, "weights_id": "", "adapter_version": "", "sample_rate": None,
            "options": {}, "source": "embeddings given in Python"}


def _in_folder(out: str | Path | None, work) -> tuple[Any, Path | None]:
    """``work(folder)`` in ``out`` or in a temporary folder removed afterwards."""
    if out is not None:
        folder = get("check_out_dir")(Path(out), "out")
        return work(folder), folder
    tmp = Path(tempfile.mkdtemp(prefix="hear-probes-"))
    try:
        return work(tmp), None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------- GEAR
def score_gear(embeddings: Any, factors: Mapping[str, Any], *, scales: Mapping[str, str] | None = None,
               item_ids: Sequence[str] | None = None, seed: int | None = None,
               settings: Any = None, out: str | Path | None = None,
               model: str = "embeddings") -> Results:
    """GEAR scores (Lostanlen, Yan & Yang 2023) of embeddings of sounds with known factors.

    For each factor: leave-one-out kNN regression R2 (K = 10, 40) with its permutation chance
    level and p-value, the cross-validated R2 of an affine map from 3 Isomap coordinates, the
    sensitivity (Spearman rho of embedding distance and factor difference over pairs that
    differ mainly in that factor), the distance effect and the kNN log-ratio statistics;
    each the mean over seeds with a 95 % t interval (a seed varies the folds, pair samples and
    permutations).

    Parameters
    ----------
    embeddings : array-like
        ``[n_sounds, dim]`` (n_sounds >= 20).
    factors : mapping of str to array-like
        ``{factor: [n_sounds] values}`` in natural units.
    scales : mapping of str to {"linear", "log"}, optional
        Analysis scale per factor (default: the GEAR stimuli's own for ``f1``, ``alpha``,
        ``r``, ``f0``...; linear for others).
    item_ids : sequence of str, optional
        Names of the sounds (in ``gear_isomap.h5``; default ``sound-0`` ...).
    seed : int, optional
        First seed (overrides ``settings.seed``; default 0).
    settings : GearSettings, optional
        ``n_seeds``, ``isomap_neighbors``, ``knn_k``, ``tau``, ``figures``.
    out : path, optional
        Write ``gear.json``, ``gear.csv``, ``results.csv``, ``gear_isomap.h5`` (and figures)
        there.
    model : str
        Model name in the results.

    Returns
    -------
    Results

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pitch = rng.uniform(100, 1000, 200)
    >>> emb = np.c_[np.log(pitch), rng.normal(size=(200, 7))]
    >>> res = score_gear(emb, {"f0": pitch})                    # doctest: +SKIP
    >>> res.to_pandas().query("metric == 'knn_r2_k10'")         # doctest: +SKIP
    """
    emb = _matrix(embeddings, "score_gear: embeddings")
    n = emb.shape[0]
    values = {}
    for name, v in factors.items():
        arr = np.asarray(v, dtype=np.float64).ravel()
        if arr.shape != (n,) or not np.all(np.isfinite(arr)):
            raise HearProbesError(f"score_gear: factor {name!r} needs {n} finite values (one per "
                                  f"row of embeddings), got shape {arr.shape}")
        values[str(name)] = arr
    if not values:
        raise HearProbesError("score_gear: give at least one factor, e.g. {'f0': pitches}")
    ids = [str(i) for i in item_ids] if item_ids is not None else [f"sound-{k}" for k in range(n)]
    if len(ids) != n:
        raise HearProbesError(f"score_gear: {len(ids)} item_ids for {n} rows of embeddings")
    st = settings or get("gear_settings")()
    st = replace(st, seed=st.seed if seed is None else int(seed),
                 figures=st.figures and out is not None)
    stimulus = {"set_name": "embeddings", "source": "embeddings given in Python", "n_tones": n}
    seed_run = get("gear_seed_run")
    runs = [seed_run(s, emb, ids, stimulus, factors=values, scales=dict(scales or {}))
            for s in range(st.seed, st.seed + st.n_seeds)]

    def work(folder: Path) -> dict:
        return get("gear_analyse_and_write")(runs, folder, _model_info(model), settings=st,
                                             timings={}, varies=get("gear_varies_analysis"))

    payload, folder = _in_folder(out, work)
    return Results([ResultEntry(model, None, {"gear": payload}, None, folder)])


# ----------------------------------------------------------------------------------- timbre
def _studies(studies: Any, data: str | Path | None, settings) -> list:
    """Prepared timbre studies from ``(emb, ratings)``, ``{name: (emb, ratings)}`` or
    ``{name: emb}`` with the ratings of ``data``."""
    prepare = get("timbre_prepare_study")
    if isinstance(studies, tuple):
        studies = {"study": studies}
    if not isinstance(studies, Mapping) or not studies:
        raise HearProbesError("score_timbre: give (embeddings, ratings), {study: (embeddings, "
                              "ratings)} or {study: embeddings} with data=FOLDER")
    out = []
    for name, value in studies.items():
        kw = {"rating_norm": settings.rating_norm, "feature_norm": settings.feature_norm,
              "allow_identical": settings.allow_identical}
        if isinstance(value, tuple):
            emb, ratings = value
            emb = _matrix(emb, f"score_timbre: {name} embeddings")
            ids = [f"sound-{k}" for k in range(emb.shape[0])]
            out.append(prepare(str(name), emb, ids, np.asarray(ratings, dtype=np.float64), **kw))
            continue
        if data is None:
            raise HearProbesError(f"score_timbre: study {name!r} has embeddings but no ratings; "
                                  "give (embeddings, ratings) or data=FOLDER of the timbre datasets")
        ds = get("load_timbre_dataset")(get("find_timbre_dir")(Path(data)), str(name))
        emb = _matrix(value, f"score_timbre: {name} embeddings")
        if emb.shape[0] != len(ds.item_ids):
            raise HearProbesError(f"score_timbre: {name} has {len(ds.item_ids)} sounds, the "
                                  f"embeddings {emb.shape[0]} rows (rows in sorted file-name order)")
        out.append(prepare(str(name), emb, ds.item_ids, ds.ratings, n_raters=ds.n_raters, **kw))
    return out


def score_timbre(studies: Any, *, data: str | Path | None = None, quick: bool = False,
                 seed: int = 0, settings: Any = None, out: str | Path | None = None,
                 model: str = "embeddings") -> Results:
    """Timbre-metric scores (Pascal & Lagrange 2024) of embeddings against dissimilarity ratings.

    Per study: the signed explained variance of the unlearned Euclidean and cosine distances,
    of the learned diagonal metric held out by leave-one-sound-out (plain and regularised) and
    in sample, with bootstrap intervals over sounds, permutation p-values and chance levels;
    then their medians over the studies.

    Parameters
    ----------
    studies : tuple, or mapping
        One study's ``(embeddings [n, d], ratings [n, n])`` (upper triangle read, NaN =
        unrated); ``{study: (embeddings, ratings)}``; or ``{study: embeddings}`` of the
        studies of ``data`` (rows in sorted sound-file order, as ``hear-probes embed``).
    data : path, optional
        Folder of the timbre datasets, for studies given without ratings.
    quick : bool
        No in-sample permutation null (its refits dominate at thousands of dimensions).
    seed : int
        Seed of the initialisations, bootstrap and permutations.
    settings : TimbreSettings, optional
        Fit, cross-validation, normalisation and worker settings (overrides ``quick``).
    out : path, optional
        Write ``timbre.json``, ``timbre.csv``, ``results.csv``, weights, pairs and figures there.
    model : str
        Model name in the results.

    Returns
    -------
    Results
    """
    if settings is None:
        unc = get("timbre_uncertainty")(seed=seed, n_null_fits=0 if quick else 200)
        settings = get("timbre_settings")(uncertainty=unc)
    prepared = _studies(studies, data, settings)
    run = get("timbre_run")(settings=settings, quick=quick, seed=seed, quiet=True,
                            reference="none")

    def work(folder: Path) -> ResultEntry:
        get("timbre_run_and_write")(prepared, run, _model_info(model), folder)
        return ResultEntry.from_folder(folder, ["timbre"])

    entry, folder = _in_folder(out, work)
    entry.model, entry.layer, entry.folder = model, None, folder
    return Results([entry])


# ---------------------------------------------------------------------------------- ranking
def _ranking_settings(quick: bool, seed: int, n_trials: int | None):
    st = get("ranking_settings").for_run("module", quick, seed=seed, quiet=True, figures=False)
    return replace(st, n_trials=int(n_trials)) if n_trials is not None else st


def ranking_stimuli(sample_rate: int, *, quick: bool = False, seed: int = 0,
                    n_trials: int | None = None) -> tuple[list[str], list[np.ndarray]]:
    """The sines of a ranking run, to embed with your own model for :func:`score_ranking`.

    Parameters
    ----------
    sample_rate : int
        Rate to render them at.
    quick, seed, n_trials
        The run (as in :func:`score_ranking`; the same values give the same sines).

    Returns
    -------
    (item_ids, audio)
        Ids and float32 signals (all of one length), in the order :func:`score_ranking`
        expects the embedding rows.
    """
    st = _ranking_settings(quick, seed, n_trials)
    sset = get("ranking_default_stimulus_sets")(st.n_trials, st.seed, st.duration)[0]
    ids = list(sset.item_ids)
    return ids, sset.render(ids, int(sample_rate), "soxr_vhq")


def score_ranking(embeddings: Any, *, item_ids: Sequence[str] | None = None, quick: bool = False,
                  seed: int = 0, n_trials: int | None = None, metric: str = "euclidean",
                  out: str | Path | None = None, model: str = "embeddings") -> Results:
    """Pitch and level ranking accuracy (Turian & Henry 2020) of embeddings of the ranking sines.

    Each trial asks whether the embedding distance ranks a sine's small perturbation (30
    cents / 2 dB, 600 cents / 10 dB) closer to it than a random other sine; the accuracy over
    the trials decided comes with a Wilson interval, chance 0.5 and an exact binomial p. The
    gradient ("eps") columns need the model itself (:func:`~hear_probes.evaluate`) and are
    n/a here.

    Parameters
    ----------
    embeddings : array-like
        ``[n_items, dim]``: embeddings of the sines of :func:`ranking_stimuli` (same
        ``quick``, ``seed`` and ``n_trials``), in its order or matched by ``item_ids``.
    item_ids : sequence of str, optional
        Ids of the rows (any order).
    quick : bool
        50 trials of 0.5-s sines (default: 1000 of 1 s).
    seed : int
        Seed of the trials.
    n_trials : int, optional
        Number of trials (overrides ``quick``'s).
    metric : {"euclidean", "cosine", "l1"}
        Embedding distance.
    out : path, optional
        Write ``ranking.json``, ``ranking.csv`` and ``results.csv`` there.
    model : str
        Model name in the results.

    Returns
    -------
    Results
    """
    st = replace(_ranking_settings(quick, seed, n_trials), metric=metric)
    eps = get("ranking_epsilons")
    trials = get("ranking_round_trials")(get("sample_trials")(st.n_trials, seed=st.seed))
    items = get("ranking_trial_items")(trials, eps)
    emb = _matrix(embeddings, "score_ranking: embeddings")
    if item_ids is not None:
        where = {str(i): k for k, i in enumerate(item_ids)}
        missing = [i for i in items.item_ids if i not in where]
        if missing or len(where) != emb.shape[0]:
            raise HearProbesError(f"score_ranking: item_ids lack {len(missing)} of the "
                                  f"{len(items.item_ids)} sines (e.g. {missing[:1]}) or do not "
                                  "match the rows; embed the sines of ranking_stimuli()")
        emb = emb[[where[i] for i in items.item_ids]]
    elif emb.shape[0] != len(items.item_ids):
        raise HearProbesError(f"score_ranking: {emb.shape[0]} rows for the {len(items.item_ids)} "
                              "sines of this run; embed the sines of ranking_stimuli() with the "
                              "same quick/seed/n_trials")
    scores = get("ranking_score_embeddings")(emb, items, metric, eps, st.ties, st.precision)
    for dim in ("pitch", "level"):
        scores[dim]["eps"] = None
    res = get("ranking_cell_results")(
        scores, st.seed, na_reason="the gradient column needs the model itself "
        "(hear_probes.evaluate), not its embeddings", min_decided=st.min_decided)
    res.update(display_name=model, metric=metric)
    payload = {
        "probe": "ranking", "schema_version": 1, "model": _model_info(model),
        "representation_kind": "embeddings",
        "provenance": get("provenance")(seed=st.seed),
        "settings": get("ranking_run_settings")(trials, st, eps, None,
                                                {"metric": metric, "precision": "float64"}),
        "representations": {model: res}, "figures": [], "warnings": [],
    }
    folder = None
    if out is not None:
        folder = get("check_out_dir")(Path(out), "out")
        get("ranking_write_outputs")(payload, folder)
    return Results([ResultEntry(model, None, {"ranking": payload}, None, folder)])
