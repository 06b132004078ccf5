"""GEAR probe driver: tones -> embeddings (store) -> analyses -> gear.json, HDF5, PNG, HTML."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np

from hear_probes.errors import HearProbesError
from hear_probes.probes.gear.analysis import GearAnalysis, analyse
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
    "evaluate",
    "evaluate_embeddings_file",
    "analyse_and_write",
    "read_isomap_file",
    "gear_tones_for",
]

PROBE = "gear"
SCHEMA_VERSION = 1
#: Tones used by ``quick=True``.
QUICK_N_TONES = 400

#: Output file names (in the probe's out dir).
FILES = {
    "json": "gear.json",
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
    if size is not None and size < len(tones):
        # a separate set, so that a quick run never overwrites the full set in the store
        tones, set_name = tones.subset(size, seed=seed), f"{set_name}-n{size}"
    return tones, set_name


def evaluate(loaded, store, out_dir: Path, settings: GearSettings | None = None) -> dict:
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
    tones, set_name = gear_tones_for(st.variant, st.quick, st.seed, st.n_tones, st.notebook,
                                     **st.stimulus_options)
    sr_out = int(loaded.sample_rate)
    emb = embed_stimulus_set(loaded, store, tones.stimulus_set(set_name),
                             batch_size=st.batch_size, quiet=st.quiet)
    embed_s = time.perf_counter() - t0
    stimulus = _stimulus_info(tones, set_name)
    stimulus["model_sample_rate"] = sr_out
    return analyse_and_write(emb, tones.item_ids, Path(out_dir), loaded.describe(),
                             stimulus=stimulus, settings=st, timings={"embed": embed_s})


def evaluate_embeddings_file(path: str | Path, out_dir: Path, set_name: str | None = None,
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
    return analyse_and_write(stored.embeddings, stored.item_ids, Path(out_dir), model,
                             stimulus=stimulus, settings=st, timings={})


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


def analyse_and_write(
    embeddings: np.ndarray,
    item_ids: list[str],
    out_dir: Path,
    model: dict,
    *,
    stimulus: dict,
    settings: GearSettings | None = None,
    timings: dict | None = None,
) -> dict:
    """Analyse embeddings whose ids encode GEAR factors and write every output.

    Returns
    -------
    dict
        The ``gear.json`` payload.
    """
    from hear_probes.provenance import provenance, write_json

    st = settings or GearSettings()
    seed, quick, tau = st.seed, st.quick, st.tau
    factors = parse_item_ids(item_ids)
    if not factors or len(item_ids) < 20:
        raise HearProbesError(f"GEAR needs at least 20 tones with parseable ids; got {len(item_ids)}")
    scales = factor_scales(list(factors))
    n = len(item_ids)
    ana = analyse(
        embeddings, factors, scales, isomap_neighbors=min(st.isomap_neighbors, n - 1),
        knn_k=min(st.knn_k, n - 1), r2_ks=tuple(min(k, n - 1) for k in (10, 40)), tau=tau, seed=seed,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    name = str(model.get("model_id", "model"))
    files = {k: FILES[k] for k in ("json", "isomap_h5")}
    write_isomap_file(out_dir / FILES["isomap_h5"], ana, item_ids, name)
    if st.figures:
        files.update({k: FILES[k] for k in _write_figures(ana, item_ids, out_dir, name)})
    all_timings = {**(timings or {}), **{f"analysis_{k}": v for k, v in ana.timings.items()}}
    payload = {
        "probe": PROBE,
        "schema_version": SCHEMA_VERSION,
        "model": model,
        "provenance": provenance(seed=seed, timings=all_timings, extra={"quick": quick}),
        "stimulus": stimulus,
        "n_tones": n,
        "embedding_dim": int(np.asarray(embeddings).shape[1]),
        "settings": ana.settings,
        "diagnostics": ana.diagnostics,
        "factor_labels": {k: FACTOR_LABELS.get(k, k) for k in factors},
        "factors": ana.per_factor,
        "notes": [
            "knn_log_ratio: natural log of (kNN estimate / true value), K neighbours, point "
            "itself excluded; factors <= 0 have no log ratio and are excluded "
            "(n_excluded_zero counts the zero-valued ones).",
            "knn_r2_k*: leave-one-out kNN regression R2 (random embedding: about -1/K).",
            "isomap_linear_r2: 5-fold CV R2 of an affine map from the 3 Isomap coordinates.",
            "sensitivity: Spearman rho(embedding distance, |delta factor|) over pairs whose other "
            "factors differ by <= tau of their range.",
            "distance_effect: (median distance of such pairs with |delta factor| >= 0.5 of its "
            "range - median distance of pairs with every factor within tau) / (median distance "
            "of all pairs); 0 = invariant.",
        ],
        "files": files,
    }
    write_json(out_dir / FILES["json"], payload)
    return payload


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
                      "(pip install 'hear-probes[plots]')", stacklevel=2)
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
