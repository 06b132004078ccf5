"""Entry points of the timbre probe: from a loaded model or an embeddings file to result files."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from hear_probes.errors import HearProbesError
from hear_probes.probes.timbre import figures
from hear_probes.probes.timbre.metric import FitOptions
from hear_probes.probes.timbre.probe import (
    QUICK_DATASETS,
    QUICK_ROBUSTNESS,
    TimbreSettings,
    load_studies,
    rows_from_file,
    run_studies,
)
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
from hear_probes.probes.timbre.robustness import RobustnessConfig

#: Default reference representation of the relative robustness (dB).
DEFAULT_REFERENCE = "stft"


def make_settings(
    *,
    quick: bool = False,
    seed: int = 0,
    robustness: bool = False,
    loso: bool = True,
    regularised: bool = True,
    init: str = "exact",
    ftol: float | None = None,
    gtol: float | None = None,
    maxiter: int | None = None,
    maxls: int | None = None,
    rating_norm: str = "none",
    feature_norm: str = "none",
    allow_identical: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    deltas: Sequence[float] | None = None,
    realisations: int | None = None,
) -> TimbreSettings:
    """Build :class:`TimbreSettings` from plain options (CLI and ``evaluate`` keywords)."""
    base = FitOptions(init=init)
    over = {k: v for k, v in {"ftol": ftol, "gtol": gtol, "maxiter": maxiter, "maxls": maxls}.items()
            if v is not None}
    options = FitOptions(**{**base.to_dict(), **over})
    rcfg = None
    if robustness:
        kw: dict = {"seed": seed}
        if quick:
            kw.update(QUICK_ROBUSTNESS)
        if deltas is not None:
            kw["deltas"] = tuple(float(d) for d in deltas)
        if realisations is not None:
            kw["realisations"] = int(realisations)
        rcfg = RobustnessConfig(**kw)
    return TimbreSettings(options=options, loso=loso, regularised=regularised, robustness=rcfg, rating_norm=rating_norm,
                          feature_norm=feature_norm, allow_identical=allow_identical,
                          workers=workers, scheduler=scheduler)


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
    *,
    compute=None,
) -> dict | None:
    """Reference areas for the relative robustness.

    ``reference`` may be a timbre.json file, a folder holding one, or a representation name.
    A name is looked up as ``<out_dir>/../<name>/timbre.json`` (the default result layout);
    if absent and ``compute`` is given, ``compute(name)`` is called to produce it there. The
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
        if compute is None:
            raise HearProbesError(
                f"no timbre result for the reference {reference!r} at {sibling / JSON_NAME}; run "
                f"'hear-probes probe timbre --model {reference} --robustness --out {sibling}' or "
                "pass --reference PATH/timbre.json"
            )
        compute(reference, sibling)
    payload = read_result(sibling)
    return reference_from_payload(payload, reference, str(sibling / JSON_NAME), settings)


def run_and_write(
    studies,
    settings: TimbreSettings,
    model_info: dict,
    out_dir: Path,
    *,
    seed: int = 0,
    quiet: bool = False,
    reference: str | None = None,
    compute_reference=None,
    timings: dict | None = None,
) -> dict:
    """Run the fits of ``studies`` and write timbre.json, timbre.csv, weights and figures.

    ``reference=None`` means the default reference (``stft``) when its results exist or can
    be computed; when they cannot, the run goes on without ``relative_area_db`` and says so
    (stderr, and ``robustness_reference.missing`` in timbre.json). An explicit ``reference``
    that cannot be resolved is an error. ``"none"`` skips the reference.
    """
    if reference is not None and reference.lower() == "none":
        reference, settings_ref_off = None, True
    else:
        settings_ref_off = False
    from hear_probes.provenance import provenance, write_csv, write_json
    from hear_probes.stimuli.timbre import PUBLISHED_STFT_EV

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # resolve the reference first: a missing one fails before hours of fits, not after
    strict = reference is not None
    ref_name = reference if strict else DEFAULT_REFERENCE
    try:
        ref = None if settings_ref_off else resolve_reference(ref_name, model_info.get("model_id", ""), out_dir, settings,
                                compute=compute_reference)
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
    name = model_info.get("model_id", "model")
    figures.plot_explained_variance(
        payload["explained_variance"], out_dir / "timbre_explained_variance.png",
        loso=payload.get("loso_explained_variance"),
        title=f"{name}: explained variance (median {payload['median']:.2f})",
    )
    if "robustness" in payload:
        ref_curves = None
        if ref is not None and ref["source"] not in (None, "self"):
            try:
                ref_curves = read_result(ref["source"]).get("robustness")
            except HearProbesError:
                ref_curves = None
        figures.plot_robustness_curves(
            payload["robustness"], out_dir / "timbre_robustness.png", reference=ref_curves,
            label=name, reference_label=ref["name"] if ref else "reference",
        )
    return payload


def evaluate(loaded, store, out_dir: Path, *, quick: bool = False, seed: int = 0,
             quiet: bool = False, data_dir: str | Path | None = None,
             datasets: Sequence[str] | None = None, robustness: bool = False,
             reference: str | None = None, compute_reference: bool = True,
             **options) -> dict:
    """Run the timbre probe on a loaded HEAR module (the probe contract).

    Embeds the sounds of the studies through ``store`` (reusing what is cached), learns the
    metric on each study, and writes ``<out_dir>/timbre.json``, ``timbre.csv``,
    ``timbre_weights.h5`` and PNG figures.

    Parameters
    ----------
    loaded : LoadedModule
    store : EmbeddingStore
    out_dir : Path
    quick : bool
        Four small studies, and a 3-level × 2-realisation robustness sweep.
    seed : int
        Seed of the robustness noise and of the random initialisation.
    quiet : bool
    data_dir : path, optional
        Timbre datasets folder (default: the fetched copy).
    datasets : sequence of str, optional
        Subset of studies.
    robustness : bool
        Run the robustness sweep.
    reference : str or None
        Reference of the relative robustness (name, folder or timbre.json, or "none"). Default
        (None): "stft", computed if missing, skipped with a message if it cannot be.
    compute_reference : bool
        Compute the reference's results (in ``<out_dir>/../<name>``) when they are missing.
    **options
        Passed to :func:`make_settings` (init, ftol, gtol, maxiter, maxls, loso, regularised,
        rating_norm, feature_norm, allow_identical, workers, scheduler, deltas,
        realisations).

    Returns
    -------
    dict
        The timbre.json payload.
    """
    from hear_probes.stimuli.timbre import embed_timbre, find_timbre_dir

    root = find_timbre_dir(data_dir)
    names = select_datasets(root, datasets, quick)
    settings = make_settings(quick=quick, seed=seed, robustness=robustness, **options)
    t0 = time.perf_counter()
    emb = embed_timbre(loaded, store, root, names, quiet=quiet)
    t_embed = time.perf_counter() - t0
    studies = load_studies(root, names, lambda ds: emb[ds.name], settings)

    def _compute(name: str, folder: Path) -> None:
        from hear_probes.hear_module import load_hear_module
        from hear_probes.store import EmbeddingStore

        ref_loaded = load_hear_module(name=name)
        cache = store.path.parent.parent if store is not None else None
        ref_store = EmbeddingStore.for_model(ref_loaded, cache)
        evaluate(ref_loaded, ref_store, folder, quick=quick, seed=seed, quiet=quiet,
                 data_dir=root, datasets=names, robustness=True, reference=name, **options)

    return run_and_write(
        studies, settings, loaded.describe(), Path(out_dir), seed=seed, quiet=quiet,
        reference=reference, compute_reference=_compute if compute_reference else None,
        timings={"embed": t_embed},
    )


def evaluate_embeddings(embeddings_file: str | Path, out_dir: Path, *, quick: bool = False,
                        seed: int = 0, quiet: bool = False, data_dir: str | Path | None = None,
                        datasets: Sequence[str] | None = None, robustness: bool = False,
                        reference: str | None = None, model_id: str | None = None,
                        **options) -> dict:
    """Run the timbre probe on precomputed embeddings (HDF5 file in the store layout).

    Rows of ``/timbre/<Dataset>/embeddings`` are matched to the ratings by ``item_ids`` (the
    sound file names without extension), never by position; the ratings come from
    ``data_dir``. A reference given by name must already have results (nothing can be
    embedded from here).
    """
    from hear_probes.stimuli.timbre import find_timbre_dir
    from hear_probes.store import check_embeddings_file, list_sets_in_file

    path = check_embeddings_file(embeddings_file)  # before asking for --data
    root = find_timbre_dir(data_dir)
    if datasets:
        names = select_datasets(root, datasets, quick)
    else:
        in_file = set(list_sets_in_file(path, "timbre"))
        if not in_file:
            raise HearProbesError(f"{path}: no /timbre/<Dataset> groups (see docs/embedding-store.md)")
        names = [d for d in select_datasets(root, None, quick) if d in in_file]
        if not names:
            raise HearProbesError(
                f"{path}: its studies ({', '.join(sorted(in_file))}) are not in {root}"
            )
    settings = make_settings(quick=quick, seed=seed, robustness=robustness, **options)
    studies = load_studies(root, names, rows_from_file(path), settings)
    model_info = {"model_id": model_id or path.stem, "embeddings_file": str(path.resolve()),
                  "weights_id": "", "adapter_version": "", "options": {}}
    return run_and_write(studies, settings, model_info, Path(out_dir), seed=seed, quiet=quiet,
                         reference=reference)
