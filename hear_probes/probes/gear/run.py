"""The GEAR probe's main module (``run`` on a model, ``run_embeddings_file`` on stored embeddings): tones -> embeddings (store) -> analyses -> gear.json, HDF5, PNG, HTML."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import h5py
import numpy as np

from hear_probes.errors import HearProbesError
from hear_probes.probes.gear.analysis import GearAnalysis, analyse, geometry
from hear_probes.probes.gear.seeds import aggregate_factor, interval_method
from hear_probes.probes.gear.settings import GearSettings
from hear_probes.stimuli.gear import (
    FACTOR_LABELS,
    GearTones,
    factor_scales,
    make_tones,
    parse_item_ids,
    set_name_for,
)

__all__ = [
    "PROBE",
    "QUICK_N_TONES",
    "run",
    "run_embeddings_file",
    "analyse_and_write",
    "read_isomap_file",
    "gear_tones_for",
    "SeedRun",
]

PROBE = "gear"
#: 2: several seeds (``K_ci``, ``K_seeds``, ``interval_method``), kNN R2 permutation nulls
#: (``K_chance``, ``K_p``), ``knn_log_ratio.median_abs``, top-level ``seeds``.
SCHEMA_VERSION = 2

#: What a seed varies, by source of the embeddings (``interval_method``; docs/gear.md).
VARIES_STIMULI = ("the stimulus draws (f1 per (alpha, r) cell, or f0 per tone; the tone subset "
                  "of --quick/--n-tones), the Isomap-linear CV folds, the sensitivity pair "
                  "subsample and the kNN permutation null")
VARIES_ANALYSIS = ("the Isomap-linear CV folds, the sensitivity pair subsample and the kNN "
                   "permutation null only (fixed embeddings file: kNN R2, Isomap and the "
                   "log ratios do not vary)")


@dataclass
class SeedRun:
    """The tones of one seed and their embeddings.

    Attributes
    ----------
    seed : int
        The seed (stimulus draws and analysis randomness).
    embeddings : ndarray
        ``[n, d]`` scene embeddings.
    item_ids : list of str
        Tone ids (they encode the factors).
    stimulus : dict
        Description of the tone set (``gear.json`` ``stimulus``).
    factors : dict of str to ndarray, optional
        Factor values ``[n]`` (default: parsed from ``item_ids``).
    scales : dict of str to str, optional
        "linear" or "log" per factor (default: the GEAR factors' own scales, else linear).
    """

    seed: int
    embeddings: np.ndarray
    item_ids: list[str]
    stimulus: dict
    factors: dict[str, np.ndarray] | None = None
    scales: dict[str, str] | None = None
#: Tones used by ``quick=True``.
QUICK_N_TONES = 400

#: Output file names (in the probe's out dir).
FILES = {
    "json": "gear.json",
    "csv": "gear.csv",
    "isomap_h5": "gear_isomap.h5",
    "isomap_png": "gear_isomap.png",
    "isomap_html": "gear_isomap.html",
    "knn_png": "gear_knn.png",
}


def gear_tones_for(
    variant: str = "paper", quick: bool = False, seed: int = 0, n_tones: int | None = None,
    notebook: bool = False, **stimulus_options,
) -> tuple[GearTones, str]:
    """The tone set of a run and its store set name.

    Parameters
    ----------
    variant : {"paper", "perceptual"}
        Stimulus design.
    quick : bool
        Use a seeded subset of :data:`QUICK_N_TONES` tones (stored as ``<set>-quick``).
    seed : int
        Seed of the random f1 / f0 draws and of the subset.
    n_tones : int, optional
        Explicit subset size (overrides ``quick``'s size).
    notebook : bool
        Paper variant with the public notebook's deviations.
    **stimulus_options
        Config overrides (see :class:`~hear_probes.stimuli.gear.PaperConfig`).

    Returns
    -------
    (GearTones, str)
    """
    tones = make_tones(variant, notebook=notebook, seed=seed, **stimulus_options)
    set_name = set_name_for(tones)
    size = n_tones if n_tones is not None else (QUICK_N_TONES if quick else None)
    if seed != 0:
        # each seed draws other tones: its own set, so that seeds never overwrite each other
        set_name = f"{set_name}-seed{seed}"
    if size is not None and size < len(tones):
        # a separate set, so that a quick run never overwrites the full set in the store
        tones, set_name = tones.subset(size, seed=seed), f"{set_name}-n{size}"
    return tones, set_name


def seeds_of(settings: GearSettings) -> list[int]:
    """The seeds of a run: ``seed, seed + 1, ..., seed + n_seeds - 1``."""
    return list(range(settings.seed, settings.seed + settings.n_seeds))


def run(loaded, store, out_dir: Path, settings: GearSettings | None = None) -> dict:
    """Run the GEAR probe on a loaded HEAR module.

    Parameters
    ----------
    loaded : LoadedModule
        The model (``hear_probes.hear_module``).
    store : EmbeddingStore
        Its embedding store; tones are embedded only if the store lacks them.
    out_dir : Path
        Output folder (``gear.json``, ``gear_isomap.h5/.png/.html``, ``gear_knn.png``).
    settings : GearSettings, optional
        The run, whole (default: :class:`GearSettings()`, the paper's design).

    Returns
    -------
    dict
        The payload written to ``gear.json``.
    """
    from hear_probes.embed import embed_stimulus_set

    st = settings or GearSettings()
    t0 = time.perf_counter()
    runs, known = [], {}
    for seed in seeds_of(st):
        tones, set_name = gear_tones_for(st.variant, st.quick, seed, st.n_tones, st.notebook,
                                         **st.stimulus_options)
        # a tone drawn by an earlier seed (same id = same sound) is not embedded again
        reuse = {i: known[i] for i in tones.item_ids if i in known}
        emb = embed_stimulus_set(loaded, store, tones.stimulus_set(set_name),
                                 batch_size=st.batch_size, quiet=st.quiet,
                                 precomputed=reuse or None)
        known.update(zip(tones.item_ids, emb, strict=True))
        stimulus = _stimulus_info(tones, set_name)
        stimulus["model_sample_rate"] = int(loaded.sample_rate)
        runs.append(SeedRun(seed, emb, list(tones.item_ids), stimulus))
    embed_s = time.perf_counter() - t0
    return analyse_and_write(runs, Path(out_dir), loaded.describe(), settings=st,
                             timings={"embed": embed_s}, varies=VARIES_STIMULI)


def run_embeddings_file(path: str | Path, out_dir: Path, set_name: str | None = None,
                             settings: GearSettings | None = None) -> dict:
    """Run the GEAR analyses on precomputed embeddings (``--embeddings FILE.h5``).

    The file holds ``/gear/<set>/embeddings`` (float32 ``[n, d]``) and ``/gear/<set>/item_ids``
    (UTF-8); the factors are parsed from the item ids (``docs/gear.md``).

    Parameters
    ----------
    path : str or Path
        HDF5 file in the store layout.
    out_dir : Path
        Output folder.
    set_name : str, optional
        Set under ``/gear``; default: ``tones`` if present, else the only set present.
    settings : GearSettings, optional
        Its ``seed``, ``isomap_neighbors``, ``knn_k``, ``tau`` and ``figures`` are used.

    Returns
    -------
    dict
        The payload written to ``gear.json``.
    """
    from hear_probes.store import list_sets_in_file, read_embeddings_file

    if set_name is None:
        sets = list_sets_in_file(path, PROBE)
        if "tones" in sets:
            set_name = "tones"
        elif len(sets) == 1:
            set_name = sets[0]
        else:
            raise HearProbesError(
                f"{path}: choose the GEAR set with --set among: {', '.join(sets) or 'none'} "
                "(expected /gear/tones with 'embeddings' and 'item_ids')"
            )
    stored = read_embeddings_file(path, PROBE, set_name)
    model = {
        "model_id": str(stored.attrs.get("model", Path(path).stem)),
        "weights_id": str(stored.attrs.get("weights_id", "")),
        "adapter_version": str(stored.attrs.get("adapter_version", "")),
        "sample_rate": stored.attrs.get("sample_rate"),
        "options": {},
        "embeddings_file": str(path),
    }
    stimulus = {"set_name": set_name, "source": "embeddings file", "n_tones": len(stored.item_ids)}
    st = replace(settings or GearSettings(), quick=False)
    runs = [SeedRun(seed, stored.embeddings, list(stored.item_ids), stimulus)
            for seed in seeds_of(st)]
    return analyse_and_write(runs, Path(out_dir), model, settings=st, timings={},
                             varies=VARIES_ANALYSIS)


def _stimulus_info(tones: GearTones, set_name: str) -> dict:
    from dataclasses import asdict

    return {
        "variant": tones.variant,
        "set_name": set_name,
        "n_tones": len(tones),
        "synthesis_sample_rate": tones.sample_rate,
        "config": asdict(tones.config),
        "gain": tones.gain,
        "stimulus_hash": tones.stimulus_hash(),
        "item_id_format": "name=value pairs joined by '_' (e.g. f1=17_alpha=0.04_r=0.96)",
    }


def _analyse_runs(runs: list[SeedRun], st: GearSettings) -> list[GearAnalysis]:
    """One :func:`analyse` per seed; runs that share their embeddings share one geometry."""
    out, shared = [], {}
    for run in runs:
        factors = run.factors if run.factors is not None else parse_item_ids(run.item_ids)
        n = len(run.item_ids)
        if not factors or n < 20:
            raise HearProbesError(
                f"GEAR needs at least 20 tones with parseable ids; got {n} (seed {run.seed})"
            )
        iso_k, knn_k = min(st.isomap_neighbors, n - 1), min(st.knn_k, n - 1)
        r2_ks = tuple(min(k, n - 1) for k in (10, 40))
        key = id(run.embeddings)
        if key not in shared:
            shared[key] = geometry(run.embeddings, iso_k, (knn_k, *r2_ks))
        scales = {**factor_scales(list(factors)), **(run.scales or {})}
        out.append(analyse(run.embeddings, factors, scales,
                           isomap_neighbors=iso_k, knn_k=knn_k, r2_ks=r2_ks, tau=st.tau,
                           seed=run.seed, geom=shared[key]))
    return out


def analyse_and_write(
    runs: list[SeedRun],
    out_dir: Path,
    model: dict,
    *,
    settings: GearSettings | None = None,
    timings: dict | None = None,
    varies: str = VARIES_STIMULI,
) -> dict:
    """Analyse every seed's embeddings, combine the seeds and write every output.

    Parameters
    ----------
    runs : list of SeedRun
        One per seed; the first seed's analysis gives the Isomap file and the figures.
    out_dir : Path
        Output folder.
    model : dict
        Model description (``gear.json`` ``model``).
    settings : GearSettings, optional
        The run's settings.
    timings : dict, optional
        Seconds spent before the analysis (e.g. embedding).
    varies : str
        What a seed varies, for ``interval_method``.

    Returns
    -------
    dict
        The ``gear.json`` payload: per factor, each score is the mean over the seeds with its
        ``_ci`` (95 % t interval) and ``_seeds`` (per seed) siblings.
    """
    from hear_probes.probes.gear.tidy import write_gear_csv
    from hear_probes.provenance import provenance, write_json
    from hear_probes.tidy import write_results_table

    if not runs:
        raise HearProbesError("GEAR: no seed to analyse (n_seeds must be >= 1)")
    st = settings or GearSettings()
    analyses = _analyse_runs(runs, st)
    ana, first = analyses[0], runs[0]
    method = interval_method(len(runs), varies)
    per_factor = {name: aggregate_factor([a.per_factor[name] for a in analyses], method)
                  for name in ana.per_factor}
    out_dir.mkdir(parents=True, exist_ok=True)
    name = str(model.get("model_id", "model"))
    files = {k: FILES[k] for k in ("json", "csv", "isomap_h5")}
    write_isomap_file(out_dir / FILES["isomap_h5"], ana, first.item_ids, name)
    if st.figures:
        files.update({k: FILES[k] for k in _write_figures(ana, first.item_ids, out_dir, name)})
    all_timings = dict(timings or {})
    for a in analyses:
        for k, v in a.timings.items():
            all_timings[f"analysis_{k}"] = all_timings.get(f"analysis_{k}", 0.0) + v
    payload = {
        "probe": PROBE,
        "schema_version": SCHEMA_VERSION,
        "model": model,
        "provenance": provenance(seed=st.seed, timings=all_timings, extra={"quick": st.quick}),
        "stimulus": first.stimulus,
        "stimulus_sets": [r.stimulus.get("set_name") for r in runs],
        "seeds": {"seeds": [r.seed for r in runs], "varies": varies, "interval_method": method,
                  "figures_and_isomap_file": f"seed {first.seed}"},
        "n_tones": len(first.item_ids),
        "embedding_dim": int(np.asarray(first.embeddings).shape[1]),
        "settings": {**ana.settings, "seed": st.seed, "n_seeds": len(runs)},
        "diagnostics": {"isomap_graph_components": ana.diagnostics["isomap_graph_components"],
                        "isomap_graph_components_seeds": [
                            a.diagnostics["isomap_graph_components"] for a in analyses]},
        "factor_labels": {k: FACTOR_LABELS.get(k, k) for k in ana.factors},
        "factors": per_factor,
        "notes": _NOTES,
        "files": files,
    }
    write_json(out_dir / FILES["json"], payload)
    write_gear_csv(out_dir / FILES["csv"], payload)
    write_results_table(out_dir)
    return payload


_NOTES = [
    "Every score K is the mean over the seeds; K_ci its 95 % Student t interval over the "
    "seeds, K_seeds the per-seed values (interval_method says what a seed varies).",
    "knn_log_ratio: natural log of (kNN estimate / true value), K neighbours, point itself "
    "excluded; factors <= 0 have no log ratio and are excluded (n_excluded_zero counts the "
    "zero-valued ones); statistics averaged over seeds, intervals in knn_log_ratio_ci.",
    "knn_r2_k*: leave-one-out kNN regression R2; _chance: mean R2 when the factor values are "
    "shuffled over the tones (permutation null, about -1/K), _p: one-sided permutation p-value "
    "(largest over the seeds).",
    "isomap_linear_r2: 5-fold CV R2 of an affine map from the 3 Isomap coordinates "
    "(an embedding unrelated to the factor: about 0).",
    "sensitivity: Spearman rho(embedding distance, |delta factor|) over pairs whose other "
    "factors differ by <= tau of their range (unrelated: 0).",
    "distance_effect: (median distance of such pairs with |delta factor| >= 0.5 of its "
    "range - median distance of pairs with every factor within tau) / (median distance "
    "of all pairs); 0 = invariant.",
]


def _write_figures(ana: GearAnalysis, item_ids: list[str], out_dir: Path, name: str) -> list[str]:
    """Write the PNGs and, when plotly is installed, the HTML view; return the keys written."""
    import importlib.util
    import warnings

    from hear_probes.probes.gear.figures import (
        plot_isomap_grid,
        plot_knn_boxplot,
        write_isomap_html,
    )

    plot_isomap_grid({name: (ana.coords, ana.factors)}, out_dir / FILES["isomap_png"], ana.scales)
    plot_knn_boxplot({name: ana.log_ratios}, out_dir / FILES["knn_png"])
    written = ["isomap_png", "knn_png"]
    if importlib.util.find_spec("plotly") is None:
        warnings.warn("plotly is not installed: gear_isomap.html skipped "
                      "(pip install plotly)", stacklevel=2)
        return written
    write_isomap_html(
        ana.coords, ana.factors, out_dir / FILES["isomap_html"], name, ana.scales, item_ids
    )
    return [*written, "isomap_html"]


def write_isomap_file(path: Path, ana: GearAnalysis, item_ids: list[str], model: str) -> None:
    """Write Isomap coordinates, factors, kNN estimates and log ratios to HDF5 (atomically).

    Layout: ``/coords`` float64 ``[n, 3]``, ``/item_ids`` UTF-8, ``/factors/<name>``,
    ``/knn_estimates/<name>``, ``/log_ratios/<name>``; attrs ``model``, ``scales``,
    ``factor_order`` and ``settings`` (JSON strings).
    """
    import json

    from hear_probes.atomic import atomic_path

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["model"] = model
        f.attrs["scales"] = json.dumps(ana.scales)
        f.attrs["factor_order"] = json.dumps(list(ana.factors))
        f.attrs["settings"] = json.dumps(ana.settings)
        f.create_dataset("coords", data=ana.coords)
        f.create_dataset("item_ids", data=np.array(item_ids, dtype=object),
                         dtype=h5py.string_dtype("utf-8"))
        for group, data in (("factors", ana.factors), ("knn_estimates", ana.estimates),
                            ("log_ratios", ana.log_ratios)):
            g = f.create_group(group)
            for k, v in data.items():
                g.create_dataset(k, data=np.asarray(v, dtype=np.float64))


def read_isomap_file(path: str | Path) -> dict:
    """Read a ``gear_isomap.h5`` file back (for re-plotting several models).

    Returns
    -------
    dict
        ``model``, ``coords``, ``item_ids``, ``factors``, ``knn_estimates``, ``log_ratios``,
        ``scales``. Use ``plot_isomap_grid({m: (d["coords"], d["factors"]) ...})``.
    """
    import json

    with h5py.File(path, "r") as f:
        out = {
            "model": str(f.attrs.get("model", "")),
            "scales": json.loads(f.attrs.get("scales", "{}")),
            "coords": f["coords"][...],
            "item_ids": [i.decode() if isinstance(i, bytes) else str(i) for i in f["item_ids"][...]],
        }
        order = json.loads(f.attrs.get("factor_order", "[]")) or sorted(f["factors"])
        for group in ("factors", "knn_estimates", "log_ratios"):
            out[group] = {k: f[group][k][...] for k in order if k in f[group]}
    return out
