"""Run the ranking probe on spectral distances or a HEAR module and write its outputs.

Outputs in ``out_dir``: ``ranking.json`` (accuracies with Wilson 95 % intervals, ties, settings,
provenance), ``ranking.csv`` (the paper's Table 1 layout: rows = representations, 6 columns) and,
unless disabled, ``ranking_pitch_curves.png`` and ``ranking_heatmap.png``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hear_probes.probes.ranking.accuracy import (
    CHANCE,
    INTERVAL_METHOD,
    MIN_DECIDED,
    chance_verdict,
    summarise,
)
from hear_probes.probes.ranking.catalogue import DISPLAY_NAMES, get_distance
from hear_probes.probes.ranking.intervals import accuracy_by_interval, pitch_interval_semitones
from hear_probes.probes.ranking.sensitivity import tie_sensitivity
from hear_probes.probes.ranking.settings import QUICK_TRIALS, RankingSettings
from hear_probes.probes.ranking.trials import (
    COLUMNS,
    DEFAULT_EPSILONS,
    EPSILON_UNITS,
)
from hear_probes.stimuli.sines import Trials, sample_trials

__all__ = [
    "QUICK_TRIALS",
    "PUBLISHED",
    "cell_results",
    "column_labels",
    "na_label",
    "table_rows",
    "run",
    "run_distances",
    "write_outputs",
]

#: Turian & Henry (2020), Table 1, fine and coarse columns (the eps column is held out).
PUBLISHED = {
    "spectrogram": {"pitch": {"fine": 0.574, "coarse": 0.695},
                    "level": {"fine": 0.518, "coarse": 0.514}},
    "log-spectrogram": {"pitch": {"fine": 0.541, "coarse": 0.679},
                        "level": {"fine": 0.577, "coarse": 0.615}},
    "mel": {"pitch": {"fine": 0.479, "coarse": 0.580}, "level": {"fine": 0.544, "coarse": 0.551}},
    "mfcc": {"pitch": {"fine": 0.603, "coarse": 0.648}, "level": {"fine": 0.931, "coarse": 0.999}},
    "mss": {"pitch": {"fine": 0.905, "coarse": 0.978}, "level": {"fine": 0.530, "coarse": 0.531}},
    "log-mss": {"pitch": {"fine": 0.665, "coarse": 0.879},
                "level": {"fine": 0.730, "coarse": 0.783}},
    "log2-centroid": {"pitch": {"fine": 1.000, "coarse": 1.000},
                      "level": {"fine": 0.503, "coarse": 0.518}},
}
#: the named variant reads the same Table 1 row
PUBLISHED["spectrogram-power2"] = PUBLISHED["spectrogram"]


def cell_results(
    scores: dict[str, dict[str, np.ndarray]],
    seed: int,
    na_reason: str | None = None,
    min_decided: int = MIN_DECIDED,
) -> dict:
    """Accuracy, 95 % interval, chance level and ties of the six columns of one representation.

    ``scores[dim][scale]`` are per-trial scores; a missing or all-NaN ``eps`` score array
    becomes ``"n/a"`` with ``na_reason``, and so does a column with fewer than ``min_decided``
    decided trials (the reason gives the count).

    Returns
    -------
    dict
        ``accuracy`` (``{dim: {scale: float | "n/a"}}``), its interval ``accuracy_ci`` (also
        under the older name ``ci95``), ``accuracy_chance`` (0.5), ``accuracy_p`` (exact
        binomial test against 0.5), ``chance_verdict`` ("above chance" only where the interval
        excludes 0.5), ``interval_method``, ``n_ties``, ``n_decided``, ``n_correct``,
        ``accuracy_ties_as_half``, ``n_trials``, ``seed``, ``min_decided``, ``na_reason`` and
        ``per_trial`` (:func:`per_trial_outcomes`).
    """
    keys = ("accuracy", "ci95", "p", "n_ties", "n_decided", "n_correct", "half", "verdict")
    t: dict = {k: {"pitch": {}, "level": {}} for k in keys}
    n_trials = 0
    reasons: dict = {}
    for dim, scale in COLUMNS:
        s = scores.get(dim, {}).get(scale)
        if s is None or np.all(np.isnan(s)):
            for k in keys:
                t[k][dim][scale] = None
            t["accuracy"][dim][scale] = t["half"][dim][scale] = t["verdict"][dim][scale] = "n/a"
            reasons[f"{dim}.{scale}"] = na_reason or "not computed"
            continue
        summ = summarise(s, min_decided=min_decided)
        n_trials = summ["n_trials"]
        for k in ("n_ties", "n_decided", "n_correct"):
            t[k][dim][scale] = summ[k]
        t["half"][dim][scale] = summ["accuracy_ties_as_half"]
        if summ["n_decided"] < max(1, min_decided):
            t["accuracy"][dim][scale], t["ci95"][dim][scale] = "n/a", None
            t["p"][dim][scale], t["verdict"][dim][scale] = None, "n/a"
            reasons[f"{dim}.{scale}"] = _too_few(summ, min_decided)
            continue
        t["accuracy"][dim][scale], t["ci95"][dim][scale] = summ["accuracy"], summ["ci95"]
        t["p"][dim][scale] = summ["p"]
        t["verdict"][dim][scale] = chance_verdict(summ["ci95"])
    out = {"accuracy": t["accuracy"], "accuracy_ci": t["ci95"], "accuracy_chance": CHANCE,
           "accuracy_p": t["p"], "chance_verdict": t["verdict"],
           "interval_method": INTERVAL_METHOD, "ci95": t["ci95"], "n_ties": t["n_ties"],
           "n_decided": t["n_decided"], "n_correct": t["n_correct"],
           "accuracy_ties_as_half": t["half"], "n_trials": n_trials, "seed": seed,
           "min_decided": min_decided, "per_trial": per_trial_outcomes(scores)}
    if reasons:
        out["na_reason"] = reasons
    return out


def per_trial_outcomes(scores: dict[str, dict[str, np.ndarray]]) -> dict:
    """Per-trial outcomes for paired comparisons (``hear-probes compare``: McNemar over trials).

    ``{dim: {scale: [1 | 0 | 0.5 | None, ...]}}`` in trial order: right, wrong, tie, or not
    computed; two runs with the same ``--seed`` and ``--trials`` scored the same trials.
    """
    out: dict = {"pitch": {}, "level": {}}
    for dim, scale in COLUMNS:
        s = scores.get(dim, {}).get(scale)
        if s is None:
            continue
        a = np.asarray(s, dtype=np.float64)
        out[dim][scale] = [None if not np.isfinite(v) else (0.5 if v == 0.5 else int(v))
                           for v in a.tolist()]
    return out


def _too_few(summ: dict, min_decided: int) -> str:
    n, m = summ["n_trials"], summ["n_decided"]
    if m == 0:
        return (f"all {n} trials tie (distances equal within float precision): the "
                "representation does not change with this perturbation")
    return (f"only {m} of {n} trials decided ({summ['n_ties']} ties, {summ['n_correct']} correct); "
            f"at least {min_decided} are needed for an estimate (docs/ranking.md, 'Too few "
            "decided trials')")


def na_label(res: dict, dim: str, scale: str) -> str:
    """``"n/a"`` with the count of decided trials where there are some (``"n/a (3 decided)"``)."""
    m = (res.get("n_decided") or {}).get(dim, {}).get(scale)
    return f"n/a ({m} decided)" if isinstance(m, int) and m > 0 else "n/a"


def column_labels(epsilons: dict) -> list[tuple[str, str, str]]:
    """``(dimension, scale, label)`` of the six columns, e.g. ``("pitch", "fine", "pitch_30c")``."""
    names = []
    for dim, scale in COLUMNS:
        if scale == "eps":
            label = f"{dim}_eps"
        else:
            unit = "c" if EPSILON_UNITS[dim] == "cents" else "dB"
            label = f"{dim}_{epsilons[dim][scale]:g}{unit}"
        names.append((dim, scale, label))
    return names


def table_rows(results: dict[str, dict], epsilons: dict) -> list[dict]:
    """Rows of the Table 1 CSV: ``representation``, the six accuracies, ``na_reason``.

    Accuracies are numbers; a column without one ("n/a") is empty, and ``na_reason`` says
    why (``"level_2dB: only 3 of 1000 trials decided ..."``, columns joined by " | ").
    """
    rows = []
    for name, res in results.items():
        row: dict = {"representation": res.get("display_name", name)}
        reasons = []
        for dim, scale, label in column_labels(epsilons):
            v = res["accuracy"][dim][scale]
            row[label] = None if isinstance(v, str) else float(v)
            if isinstance(v, str):
                why = (res.get("na_reason") or {}).get(f"{dim}.{scale}") or na_label(res, dim, scale)
                reasons.append(f"{label}: {why}")
        row["na_reason"] = " | ".join(reasons)
        rows.append(row)
    return rows


def _settings(trials: Trials, st: RankingSettings, epsilons: dict, sample_rate: int | None,
              extra: dict | None = None) -> dict:
    out = {
        "n_trials": len(trials),
        "seed": trials.seed,
        "duration_s": st.duration,
        "sample_rate": sample_rate,
        "epsilons": {d: {**epsilons[d], "unit": EPSILON_UNITS[d]} for d in epsilons},
        "sampling": trials.ranges,
        "level_definition": "L = 25 log10(A)",
        "ties": st.ties.describe(),
        "tie_rule": st.ties.rule,
        "tie_rtol": st.ties.rtol,
        "gradient_tie_rtol": st.ties.gradient_rtol,
        "precision": st.precision,
        "min_decided": st.min_decided,
        "accuracy_chance": CHANCE,
        "interval_method": INTERVAL_METHOD,
        "perturbations": "keep the prediction's phase and other parameter; not clipped to range",
    }
    out.update(extra or {})
    return out


def write_outputs(payload: dict, out_dir: Path) -> dict:
    """Write ``ranking.json``, ``ranking.csv`` and the folder's tidy ``results.csv``; return
    the payload."""
    from hear_probes.provenance import write_csv, write_json
    from hear_probes.tidy import write_results_table

    out_dir.mkdir(parents=True, exist_ok=True)
    rows = table_rows(payload["representations"], payload["settings"]["epsilons"])
    write_csv(out_dir / "ranking.csv", rows)
    write_json(out_dir / "ranking.json", payload)
    write_results_table(out_dir)
    return payload


def run_distances(names: Sequence[str], out_dir: Path,
                       settings: RankingSettings | None = None) -> dict:
    """Ranking accuracy of catalogue distances; writes ``ranking.json``/``.csv`` and figures.

    ``settings`` defaults to ``RankingSettings.for_run("distances")``; its ``metric`` is not
    used (each distance is its own metric).
    """
    settings = settings or RankingSettings.for_run("distances")
    from tqdm import tqdm

    from hear_probes.probes.ranking.spectral import score_distances, scores_from_raw
    from hear_probes.probes.ranking.trials import away_directions
    from hear_probes.provenance import provenance

    eps = settings.epsilons or DEFAULT_EPSILONS
    distances = [get_distance(n) for n in names]
    trials = sample_trials(settings.n_trials, seed=settings.seed)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with tqdm(total=settings.n_trials, desc="ranking", unit="trial", disable=settings.quiet, leave=False) as bar:
        scores = score_distances(distances, trials, duration=settings.duration, epsilons=eps,
                                 batch_size=settings.batch_size, progress=lambda k: bar.update(k - bar.n),
                                 precision=settings.precision or "float32")
    timings["trials"] = time.perf_counter() - t0
    away = away_directions(trials)
    results = {}
    per_trial = {}
    for dist in distances:
        per_trial[dist.name] = scores_from_raw(scores[dist.name], away, eps, settings.ties)
        res = cell_results(per_trial[dist.name], settings.seed, min_decided=settings.min_decided)
        res["by_pitch_interval"] = accuracy_by_interval(per_trial[dist.name],
                                                        pitch_interval_semitones(trials))
        res["tie_sensitivity"] = tie_sensitivity(
            lambda rule, r=scores[dist.name]: scores_from_raw(r, away, eps, rule))
        res["display_name"] = DISPLAY_NAMES.get(dist.name, dist.name)
        res["hyperparameters"] = {k: v for k, v in dist.describe().items()}
        if dist.name in PUBLISHED:
            res["published"] = PUBLISHED[dist.name]
        results[dist.name] = res
    figure_paths: list[str] = []
    if settings.figures:
        from hear_probes.probes.ranking.plots import interval_figure, spectral_figures

        t1 = time.perf_counter()
        figure_paths = spectral_figures(distances, out_dir, settings.duration, settings.curve_points,
                                        settings.heatmap_cells)
        figure_paths.append(interval_figure(results, out_dir))
        timings["figures"] = time.perf_counter() - t1
    payload = {
        "probe": "ranking",
        "schema_version": 1,
        "model": None,
        "representation_kind": "spectral-distance",
        "provenance": provenance(seed=settings.seed, timings=timings),
        "settings": _settings(trials, settings, eps, distances[0].sample_rate,
                              {"precision": settings.precision or "float32"}),
        "representations": results,
        "figures": figure_paths,
        "warnings": [],
    }
    return write_outputs(payload, out_dir)


def ranking_stimulus_set(items, n_trials: int, seed: int, duration: float):
    """The sines of a run's trials as one stimulus set (``/ranking/sines-n<N>-seed<S>-<D>s``)."""
    from hear_probes.stimuli.sines import sines_stimulus_set

    return sines_stimulus_set(items.item_ids, f"sines-n{n_trials}-seed{seed}-{duration:g}s",
                              duration)


def default_stimulus_sets(n_trials: int = 1000, seed: int = 0, duration: float = 1.0) -> list:
    """The stimulus set a default ``ranking`` run embeds (``hear-probes embed --stimuli ranking``)."""
    from hear_probes.probes.ranking.embedding import round_trials, trial_items

    items = trial_items(round_trials(sample_trials(n_trials, seed=seed)), DEFAULT_EPSILONS)
    return [ranking_stimulus_set(items, n_trials, seed, duration)]


def _module_tie_sensitivity(emb, items, grad, trials: Trials, st: RankingSettings,
                            eps: dict) -> dict:
    """:func:`tie_sensitivity` of a module run: its embeddings and gradients rescored."""
    from hear_probes.probes.ranking.embedding import gradient_pass_scores, score_embeddings

    def rescore(rule):
        out = score_embeddings(emb, items, st.metric, eps, rule, st.precision)
        g = gradient_pass_scores(grad, trials, rule) if grad is not None else None
        for dim in ("pitch", "level"):
            out[dim]["eps"] = g[dim] if g is not None else None
        return out

    return tie_sensitivity(rescore)


def _eps_checkpoint(loaded, layer_ids: list, store, trials: Trials, st: RankingSettings,
                    mode: str):
    """The :class:`PassCheckpoint` of an ``eps`` pass beside ``store`` (None without a store
    file): its digest covers the model, the layers, the trials, the settings, the mode, the
    device and dtype, and the hear-probes and torch versions."""
    from dataclasses import fields

    import torch

    from hear_probes import __version__
    from hear_probes.probes.ranking.checkpoint import PassCheckpoint, pass_fingerprint

    if getattr(store, "path", None) is None:
        return None
    params = (next(iter(loaded.model.parameters()), None)
              if hasattr(loaded.model, "parameters") else None)
    identity = {**loaded.identity(), "layers": layer_ids, "mode": mode, "duration": st.duration,
                "metric": st.metric, "batch_size": st.batch_size,
                "sample_rate": loaded.sample_rate, "hear_probes": __version__,
                "torch": torch.__version__,
                "device": str(params.device) if params is not None else None,
                "dtype": str(params.dtype) if params is not None else None}
    arrays = {f.name: np.asarray(getattr(trials, f.name)) for f in fields(trials)
              if f.name not in ("seed", "ranges")}
    return PassCheckpoint.beside(store.path, pass_fingerprint(identity, arrays))


def _gradient_pass(loaded, sample_rate: int, trials: Trials, st: RankingSettings, store=None):
    """``(GradientPass, mode)`` of the ``eps`` column for one representation.

    A layer view of a group of several layers takes its share of one forward-mode pass over
    the whole group (computed by the first view that asks, kept in ``group.shared`` until each
    view has taken its layer); where forward mode is not available, and for a model without
    layers, each view runs its own reverse-mode pass. Both give the same derivatives (see
    :mod:`hear_probes.probes.ranking.layer_gradients`). Either pass keeps a checkpoint beside
    an embedding store (the group's first, or ``store``), so an interrupted run resumes it.

    Raises
    ------
    NotDifferentiable
        When the reverse-mode pass cannot differentiate the module either.
    """
    from hear_probes.probes.ranking.embedding import NotDifferentiable, module_gradient_pass
    from hear_probes.probes.ranking.layer_gradients import layer_group_gradient_pass

    group = getattr(loaded, "layer_group", None)
    if group is not None and len(group.layer_ids) > 1 and loaded.layer is not None:
        key = ("ranking-eps", len(trials), trials.seed, st.duration, st.metric, st.batch_size)
        if key not in group.shared:
            try:
                group.shared[key] = layer_group_gradient_pass(
                    group, sample_rate, trials, st.duration, st.metric, st.batch_size, st.quiet,
                    checkpoint=_eps_checkpoint(group.base, group.layer_ids,
                                               group.stores[group.layer_ids[0]], trials, st,
                                               "forward"))
            except NotDifferentiable:
                group.shared[key] = None
        passes = group.shared[key]
        share = passes.pop(loaded.layer, None) if passes is not None else None
        if share is not None:
            return share, "forward"
    ckpt = _eps_checkpoint(loaded, [loaded.layer], store, trials, st, "reverse")
    return module_gradient_pass(loaded.module, loaded.model, sample_rate, trials, st.duration,
                                st.metric, st.batch_size, st.quiet, ckpt), "reverse"


def run(loaded, store, out_dir: Path,
                    settings: RankingSettings | None = None) -> dict:
    """Ranking accuracy of a HEAR module's scene embeddings; writes the probe outputs."""
    st = settings or RankingSettings()
    from hear_probes.embed import embed_stimulus_set
    from hear_probes.probes.ranking.embedding import (
        METRICS,
        NotDifferentiable,
        gradient_pass_scores,
        is_constant,
        round_trials,
        score_embeddings,
        trial_items,
    )
    from hear_probes.probes.ranking.layer_gradients import GRADIENT_MODES
    from hear_probes.provenance import provenance

    if st.metric not in METRICS:
        raise ValueError(f"unknown metric {st.metric!r}; valid: {', '.join(METRICS)}")
    eps = st.epsilons or DEFAULT_EPSILONS
    sr = loaded.sample_rate
    trials = round_trials(sample_trials(st.n_trials, seed=st.seed))
    items = trial_items(trials, eps)
    timings: dict[str, float] = {}
    # eps column first: its forward passes embed every target and prediction, and those
    # embeddings are handed to the store, so each distinct clip goes through the model once
    t1 = time.perf_counter()
    reason: str | None = None
    precomputed: dict[str, np.ndarray] = {}
    mode: str | None = None
    try:
        grad, mode = _gradient_pass(loaded, sr, trials, st, store)
    except NotDifferentiable as exc:
        grad, reason = None, str(exc)
    else:
        for role, rows in (("target", grad.target), ("prediction", grad.prediction)):
            precomputed.update(zip((items.item_ids[i] for i in items.index[role]), rows,
                                   strict=True))
    timings["gradients"] = time.perf_counter() - t1
    t0 = time.perf_counter()
    emb = embed_stimulus_set(loaded, store, ranking_stimulus_set(items, st.n_trials, st.seed, st.duration),
                             batch_size=st.batch_size, quiet=st.quiet, precomputed=precomputed)
    timings["embed"] = time.perf_counter() - t0
    warn: list[str] = []
    if is_constant(emb):
        msg = (f"{loaded.model_id}: identical scene embeddings for all {len(items.item_ids)} "
               "stimuli; every comparison is a tie, and ties are left out of the accuracy")
        warnings.warn(msg, stacklevel=2)
        warn.append(msg)
    scores = score_embeddings(emb, items, st.metric, eps, st.ties, st.precision)
    eps_scores = gradient_pass_scores(grad, trials, st.ties) if grad is not None else None
    for dim in ("pitch", "level"):
        scores[dim]["eps"] = eps_scores[dim] if eps_scores is not None else None
    res = cell_results(scores, st.seed, na_reason=reason, min_decided=st.min_decided)
    res["by_pitch_interval"] = accuracy_by_interval(scores, pitch_interval_semitones(trials))
    res["tie_sensitivity"] = _module_tie_sensitivity(emb, items, grad, trials, st, eps)
    res["display_name"] = loaded.model_id
    res["metric"] = st.metric
    figure_paths: list[str] = []
    if st.figures:
        from hear_probes.probes.ranking.plots import interval_figure, module_figures

        t2 = time.perf_counter()
        figure_paths = module_figures(loaded, store, out_dir, st)
        figure_paths.append(interval_figure({loaded.model_id: res}, out_dir))
        timings["figures"] = time.perf_counter() - t2
    payload = {
        "probe": "ranking",
        "schema_version": 1,
        "model": {
            "model_id": loaded.model_id,
            "weights_id": loaded.weights_id,
            "adapter_version": loaded.adapter_version,
            "sample_rate": sr,
            "options": loaded.options,
        },
        "representation_kind": "hear-module",
        "provenance": {**provenance(seed=st.seed, timings=timings),
                       **({"resumed": {"eps_pass_from_trial": grad.resumed_from}}
                          if grad is not None and grad.resumed_from else {})},
        "settings": _settings(trials, st, eps, sr,
                              {"metric": st.metric, "precision": st.precision or "float64",
                               "gradient_mode": GRADIENT_MODES.get(mode, "none")}),
        "representations": {loaded.model_id: res},
        "figures": figure_paths,
        "warnings": warn,
    }
    return write_outputs(payload, out_dir)
