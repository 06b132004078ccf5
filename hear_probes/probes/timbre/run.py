"""The timbre probe's main module: from a loaded model (:func:`run`) or an embeddings file
(:func:`run_embeddings_file`) to result files."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hear_probes.errors import HearProbesError
from hear_probes.probes.registry import Prerequisite
from hear_probes.probes.timbre import figures
from hear_probes.probes.timbre.pairs_file import PAIRS_NAME, StudyPairs, write_pairs
from hear_probes.probes.timbre.results import (
    CSV_NAME,
    JSON_NAME,
    WEIGHTS_NAME,
    build_payload,
    csv_rows,
    read_result,
    reference_from_payload,
    write_weights,
)
from hear_probes.probes.timbre.settings import QUICK_DATASETS, TimbreRun, TimbreSettings
from hear_probes.probes.timbre.studies import load_studies, rows_from_file, run_studies

#: Default reference representation of the relative robustness (dB).
DEFAULT_REFERENCE = "stft"


def select_datasets(data_dir: Path, datasets: Sequence[str] | None, quick: bool) -> list[str]:
    """Studies to run: ``datasets``, else the quick subset or all studies present."""
    from hear_probes.stimuli.timbre import list_timbre_datasets

    present = list_timbre_datasets(data_dir)
    if datasets:
        unknown = [d for d in datasets if d not in present]
        if unknown:
            raise HearProbesError(
                f"unknown timbre dataset(s) {', '.join(unknown)}; available in {data_dir}: "
                f"{', '.join(present)}"
            )
        return list(datasets)
    if quick:
        return [d for d in QUICK_DATASETS if d in present] or present[:2]
    return present


def resolve_reference(
    reference: str | None,
    model_id: str,
    out_dir: Path,
    settings: TimbreSettings,
) -> dict | None:
    """Reference areas for the relative robustness.

    ``reference`` may be a timbre.json file, a folder holding one, or a representation name.
    A name is looked up as ``<out_dir>/../<name>/timbre.json`` (the default result layout);
    the caller computes it there beforehand when missing (:func:`reference_prerequisite`). The
    representation being evaluated can be its own reference (0 dB).
    """
    if reference is None or settings.robustness is None:
        return None
    from hear_probes.store import safe_name

    if reference == model_id:
        return {"name": reference, "source": "self", "areas": None}
    p = Path(reference).expanduser()
    looks_like_path = p.suffix == ".json" or "/" in reference or reference.startswith((".", "~"))
    if looks_like_path and not p.exists():
        raise HearProbesError(
            f"--reference {reference}: no such file or folder; give a timbre.json, a result "
            "folder holding one, a model name (e.g. stft) or 'none'"
        )
    if p.suffix == ".json" or p.is_dir():
        payload = read_result(p)
        name = (payload.get("model") or {}).get("model_id") or p.stem
        return reference_from_payload(payload, name, str(p), settings)
    sibling = out_dir.parent / safe_name(reference)
    if not (sibling / JSON_NAME).is_file():
        raise HearProbesError(
            f"no timbre result for the reference {reference!r} at {sibling / JSON_NAME}; run "
            f"'hear-probes probe timbre --model {reference} --robustness --out {sibling}' or "
            "pass --reference PATH/timbre.json"
        )
    payload = read_result(sibling)
    return reference_from_payload(payload, reference, str(sibling / JSON_NAME), settings)


def _figure_series(payload: dict) -> dict:
    """The unlearned and regularised series and every interval of the EV figure."""
    unl = ((payload.get("unlearned") or {}).get("cosine") or {})
    extra, intervals = {}, {}
    if unl.get("explained_variance"):
        extra["unlearned (cosine)"] = unl["explained_variance"]
        intervals["unlearned (cosine)"] = unl.get("explained_variance_ci") or {}
    if payload.get("regularised_loso_explained_variance"):
        extra["held-out (regularised)"] = payload["regularised_loso_explained_variance"]
        intervals["held-out (regularised)"] = payload.get("regularised_loso_explained_variance_ci") or {}
    intervals["held-out (LOSO)"] = payload.get("loso_explained_variance_ci") or {}
    intervals["in-sample"] = payload.get("explained_variance_ci") or {}
    return {"extra": extra, "intervals": intervals}


def study_pairs(res) -> StudyPairs:
    """The pair-level predictions of one study (:mod:`.pairs_file`): every predictor scored."""
    from hear_probes.probes.timbre.metric import pair_indices

    i, j = pair_indices(res.study.n_sounds)
    return StudyPairs(i=i, j=j, rating=res.study.ratings, predictors=res.predictions(),
                      sounds=list(res.study.item_ids))


def run_and_write(
    studies,
    config: TimbreRun,
    model_info: dict,
    out_dir: Path,
    *,
    timings: dict | None = None,
) -> dict:
    """Run the fits of ``studies`` and write timbre.json, timbre.csv, weights and figures.

    ``reference=None`` means the default reference (``stft``) when its results exist or can
    be computed; when they cannot, the run goes on without ``relative_area_db`` and says so
    (stderr, and ``robustness_reference.missing`` in timbre.json). An explicit ``reference``
    that cannot be resolved is an error. ``"none"`` skips the reference.

    Parameters
    ----------
    studies : list of Study
        Prepared studies (:func:`~hear_probes.probes.timbre.studies.load_studies`).
    config : TimbreRun
        The run's settings (fit settings, seed, quiet, reference).
    model_info : dict
        The ``model`` block of timbre.json.
    out_dir : Path
        Output folder.
    timings : dict, optional
        Timings so far (e.g. ``{"embed": s}``), merged into the provenance.
    """
    settings, seed, quiet, reference = config.settings, config.seed, config.quiet, config.reference
    if reference is not None and reference.lower() == "none":
        reference, settings_ref_off = None, True
    else:
        settings_ref_off = False
    from hear_probes.provenance import provenance, write_csv, write_json
    from hear_probes.stimuli.timbre import PUBLISHED_STFT_EV
    from hear_probes.tidy import write_results_table

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # resolve the reference first: a missing one fails before hours of fits, not after
    strict = reference is not None
    ref_name = reference if strict else DEFAULT_REFERENCE
    try:
        ref = None if settings_ref_off else resolve_reference(ref_name, model_info.get("model_id", ""), out_dir, settings)
    except HearProbesError as exc:
        if strict:
            raise
        # default reference unavailable: say so (stderr and timbre.json), skip the dB figures
        import sys

        print(f"timbre: no relative robustness ({exc})", file=sys.stderr)
        ref = {"name": ref_name, "source": None, "areas": {}, "missing": str(exc)}
    results, t = run_studies(studies, settings, seed=seed, quiet=quiet)
    if ref is not None and ref["source"] == "self":
        ref["areas"] = {r.study.name: r.robustness.area for r in results if r.robustness}
    timings = {**(timings or {}), **t}
    prov = provenance(seed=seed, timings=timings)
    payload = build_payload(results, settings, model_info, prov, reference=ref,
                            published=PUBLISHED_STFT_EV)
    write_json(out_dir / JSON_NAME, payload)
    write_csv(out_dir / CSV_NAME, csv_rows(payload))
    write_weights(out_dir / WEIGHTS_NAME, results)
    write_pairs(out_dir / PAIRS_NAME, {r.study.name: study_pairs(r) for r in results},
                model_info.get("model_id", ""))
    write_figures(payload, out_dir, ref)
    write_results_table(out_dir)
    return payload


def write_figures(payload: dict, out_dir: Path, ref: dict | None = None) -> None:
    """The PNG figures of one timbre.json payload (also to redraw them from a saved file).

    Parameters
    ----------
    payload : dict
        A timbre.json payload.
    out_dir : Path
        Where the PNGs go.
    ref : dict, optional
        The robustness reference (``robustness_reference`` of the payload by default).
    """
    out_dir = Path(out_dir)
    ref = ref if ref is not None else payload.get("robustness_reference")
    name = (payload.get("model") or {}).get("model_id", "model")
    figures.plot_explained_variance(
        payload["explained_variance"], out_dir / "timbre_explained_variance.png",
        loso=payload.get("loso_explained_variance"),
        title=f"{name}: signed explained variance with 95 % intervals (in-sample median "
              f"{payload['median']:.2f})",
        **_figure_series(payload),
    )
    if "robustness" in payload:
        ref_curves = None
        if ref is not None and ref.get("source") not in (None, "self"):
            try:
                ref_curves = read_result(ref["source"]).get("robustness")
            except HearProbesError:
                ref_curves = None
        figures.plot_robustness_curves(
            payload["robustness"], out_dir / "timbre_robustness.png", reference=ref_curves,
            label=name, reference_label=ref["name"] if ref else "reference",
        )
        if payload.get("robustness_in_sample"):
            figures.plot_robustness_curves(
                payload["robustness_in_sample"], out_dir / "timbre_robustness_in_sample.png",
                label=name, title="Replication of Pascal & Lagrange Fig. 1a: in-sample learned "
                "metric (interpolates the noisy ratings when dimensions outnumber pairs)")


def run(loaded, store, out_dir: Path, config: TimbreRun | None = None) -> dict:
    """Run the timbre probe on a loaded HEAR module.

    Embeds the sounds of the studies through ``store`` (reusing what is cached), learns the
    metric on each study, and writes ``<out_dir>/timbre.json``, ``timbre.csv``,
    ``timbre_weights.h5`` and PNG figures.

    Parameters
    ----------
    loaded : LoadedModule
    store : EmbeddingStore
    out_dir : Path
    config : TimbreRun, optional
        The run's settings, whole (default: :class:`TimbreRun()`).
        A reference given by name is read from ``<out_dir>/../<name>/timbre.json``; the
        caller computes it first when missing (:func:`reference_prerequisite`).

    Returns
    -------
    dict
        The timbre.json payload.
    """
    config = config or TimbreRun()
    studies, t_embed = model_studies(loaded, store, config)
    return run_and_write(studies, config, loaded.describe(), Path(out_dir),
                         timings={"embed": t_embed})


def model_studies(loaded, store, config: TimbreRun | None = None) -> tuple[list, float]:
    """The studies of ``config`` prepared with the embeddings of ``loaded`` (through ``store``).

    Returns
    -------
    studies : list of Study
        Ready for :func:`~hear_probes.probes.timbre.studies.run_studies`.
    seconds : float
        Wall-clock time of the embedding (cached sets are read, not recomputed).
    """
    from hear_probes.stimuli.timbre import find_timbre_dir

    config = config or TimbreRun()
    root = find_timbre_dir(config.data_dir)
    names = select_datasets(root, config.datasets, config.quick)
    t0 = time.perf_counter()
    emb = embed_studies(loaded, store, root, names, batch_size=config.batch_size,
                        quiet=config.quiet)
    t_embed = time.perf_counter() - t0
    return load_studies(root, names, lambda ds: emb[ds.name], config.settings), t_embed


def embed_studies(loaded, store, data_dir=None, datasets: Sequence[str] | None = None,
                  batch_size: int = 8, quiet: bool = False) -> dict:
    """Embed the sounds of the timbre studies through the store (``/timbre/<Dataset>``).

    Each study is one stimulus set (:func:`hear_probes.stimuli.timbre.timbre_stimulus_sets`);
    finished studies are reused, an interrupted one resumes.

    Returns
    -------
    dict
        ``{dataset: embeddings [n_sounds, dim]}`` with rows in sorted sound order.
    """
    from hear_probes.embed import embed_stimulus_sets
    from hear_probes.stimuli.timbre import timbre_stimulus_sets

    return embed_stimulus_sets(loaded, store, timbre_stimulus_sets(data_dir, datasets),
                               batch_size=batch_size, quiet=quiet)


def reference_prerequisite(model_id: str, out_dir: Path, config: TimbreRun) -> list[Prerequisite]:
    """The robustness reference a run reads by name, to be computed first when missing.

    Empty without ``--robustness``, with ``--reference none``, a path, or the model itself.
    The reference runs with the same settings (``reference`` = itself) in
    ``<out_dir>/../<name>``; the default reference (``stft``) is not required (the run goes
    on without ``relative_area_db`` if it cannot be computed).
    """
    from hear_probes.store import safe_name

    ref = config.reference
    if config.settings.robustness is None or (ref is not None and ref.lower() == "none"):
        return []
    name = ref if ref is not None else DEFAULT_REFERENCE
    p = Path(name).expanduser()
    if name == model_id or p.suffix == ".json" or "/" in name or name.startswith((".", "~")) \
            or p.is_dir():
        return []

    def compute(loaded, store, folder: Path) -> dict:
        return run(loaded, store, folder, replace(config, reference=name))

    return [Prerequisite(name, Path(out_dir).parent / safe_name(name), JSON_NAME, compute,
                         required=ref is not None)]


def run_embeddings_file(embeddings_file: str | Path, out_dir: Path, config: TimbreRun | None = None,
                        model_id: str | None = None) -> dict:
    """Run the timbre probe on precomputed embeddings (HDF5 file in the store layout).

    Rows of ``/timbre/<Dataset>/embeddings`` are matched to the ratings by ``item_ids`` (the
    sound file names without extension), never by position; the ratings come from
    ``config.data_dir``. A reference given by name must already have results (nothing can be
    embedded from here).
    """
    from hear_probes.stimuli.timbre import find_timbre_dir
    from hear_probes.store import check_embeddings_file, list_sets_in_file

    config = config or TimbreRun()
    path = check_embeddings_file(embeddings_file)  # before asking for --data
    root = find_timbre_dir(config.data_dir)
    if config.datasets:
        names = select_datasets(root, config.datasets, config.quick)
    else:
        in_file = set(list_sets_in_file(path, "timbre"))
        if not in_file:
            raise HearProbesError(f"{path}: no /timbre/<Dataset> groups (see docs/embedding-store.md)")
        names = [d for d in select_datasets(root, None, config.quick) if d in in_file]
        if not names:
            raise HearProbesError(
                f"{path}: its studies ({', '.join(sorted(in_file))}) are not in {root}"
            )
    studies = load_studies(root, names, rows_from_file(path), config.settings)
    model_info = {"model_id": model_id or path.stem, "embeddings_file": str(path.resolve()),
                  "weights_id": "", "adapter_version": "", "options": {}}
    return run_and_write(studies, config, model_info, Path(out_dir))
