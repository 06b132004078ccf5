"""``hear-probes probe timbre``: the timbre metric-learning probe from the command line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from hear_probes import cli_common as opt

__all__ = ["command"]


def command(
    model: opt.ModelOpt = None,
    module: opt.ModuleOpt = None,
    embeddings: Annotated[Path | None, typer.Option(
        "--embeddings", help="HDF5 file in the store layout: /timbre/<Dataset>/{embeddings,item_ids}."
    )] = None,
    model_path: opt.ModelPathOpt = None,
    layers: opt.LayersOpt = None,
    data: opt.DataOpt = None,
    datasets: Annotated[str | None, typer.Option(
        "--datasets", help="Comma-separated subset of studies (default: every study found, 17 + 4).")] = None,
    robustness: Annotated[bool, typer.Option(
        "--robustness", help="Robustness sweep to degraded ratings (9 levels x 5 draws).")] = False,
    robustness_in_sample: Annotated[bool, typer.Option(
        "--robustness-in-sample/--no-robustness-in-sample", help="With --robustness, also run "
        "the paper's in-sample sweep (a replication; 45 fits per study).")] = True,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="Reference of the relative robustness: a representation name "
        "(results looked up in <out>/../<name>, computed if missing), a result folder or a "
        "timbre.json; 'none' to skip. Default: stft when its results exist or can be "
        "computed.")] = None,
    loso: Annotated[bool, typer.Option(
        "--loso/--no-loso", help="Leave-one-sound-out held-out explained variance.")] = True,
    regularised: Annotated[bool, typer.Option(
        "--regularised/--no-regularised", help="Held-out score of the regularised learned metric "
        "(ridge shrunk toward the Euclidean distance, strength by nested leave-one-sound-out).")] = True,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", min=0, help="Bootstrap resamples over sounds for the 95% intervals of "
        "every score (0: none).")] = 1000,
    permutations: Annotated[int, typer.Option(
        "--permutations", min=0, help="Sound-label permutations of the Mantel tests (p-values, "
        "chance levels; 0: none).")] = 1000,
    null_fits: Annotated[int | None, typer.Option(
        "--null-fits", min=0, help="Permutations of the in-sample null, each refitting the exact "
        "optimum on sound-permuted ratings (0: none; default 200, 0 with --quick).")] = None,
    init: Annotated[str, typer.Option(
        "--init", help="exact (default): the global optimum of the paper's Eq. 3 by NNLS on "
        "centred pair differences; warm: the paper's NNLS warm start + L-BFGS-B (replication); "
        "random: Thoret et al.'s random start + L-BFGS-B.")] = "exact",
    ftol: Annotated[float | None, typer.Option(
        "--ftol", help="L-BFGS-B ftol (default 1e-36, the paper's).")] = None,
    gtol: Annotated[float | None, typer.Option(
        "--gtol", help="L-BFGS-B gtol (default 1e-36, the paper's).")] = None,
    maxiter: Annotated[int | None, typer.Option("--maxiter", min=1,
                                                help="L-BFGS-B iterations (paper 1e4).")] = None,
    rating_norm: Annotated[str, typer.Option(
        "--rating-norm", help="Ratings normalisation: none (paper), max, minmax.")] = "none",
    feature_norm: Annotated[str, typer.Option(
        "--feature-norm", help="Per-sound feature normalisation: none, max.")] = "none",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Local worker processes (default: all CPUs).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask distributed scheduler address (tcp://host:8786).")] = None,
    allow_identical: Annotated[bool, typer.Option(
        "--allow-identical", help="Accept identical embeddings for distinct sounds.")] = False,
    seed: opt.SeedOpt = 0,
    out: opt.OutOpt = None,
    cache: opt.CacheOpt = None,
    quick: Annotated[bool, typer.Option(help="Four small studies, short robustness sweep.")] = False,
    quiet: opt.QuietOpt = False,
    device: opt.DeviceOpt = None,
    batch_size: opt.BatchSizeOpt = None,
    trust_remote_code: opt.TrustRemoteCodeOpt = False,
) -> None:
    """Metric learning on human timbre dissimilarity ratings (Pascal & Lagrange 2024)."""
    from hear_probes.views import check_one_source, parse_datasets

    kind = check_one_source(layers, model=model, module=module, embeddings=embeddings)
    from hear_probes.checks import check_scheduler

    check_scheduler(scheduler)  # its form, instantly, before anything is computed
    from hear_probes.probes.timbre.metric import FitOptions
    from hear_probes.probes.timbre.settings import (
        TimbreRun,
        TimbreSettings,
        robustness_config,
        uncertainty_config,
    )

    names = parse_datasets(datasets)
    fit = {"ftol": ftol, "gtol": gtol, "maxiter": maxiter}
    settings = TimbreSettings(
        options=replace(FitOptions(init=init), **{k: v for k, v in fit.items() if v is not None}),
        loso=loso, regularised=regularised,
        uncertainty=uncertainty_config(seed, quick, n_bootstrap=bootstrap,
                                       n_permutations=permutations, n_null_fits=null_fits),
        robustness=robustness_config(seed, quick) if robustness else None,
        robustness_in_sample=robustness_in_sample,
        rating_norm=rating_norm, feature_norm=feature_norm, allow_identical=allow_identical,
        workers=workers, scheduler=scheduler)
    config = TimbreRun(settings=settings, data_dir=data, datasets=names, quick=quick, seed=seed,
                       quiet=quiet, reference=reference,
                       **({} if batch_size is None else {"batch_size": batch_size}))
    if kind == "embeddings":
        from hear_probes.probes.timbre.run import run_embeddings_file
        from hear_probes.views import default_out

        out_dir = default_out(embeddings.stem, out)
        payload = run_embeddings_file(embeddings, Path(out_dir), config)
    else:
        from hear_probes.probes.timbre.run import reference_prerequisite, run
        from hear_probes.views import (
            ModelSource,
            default_out,
            for_each_view,
            model_loader,
            run_prerequisites,
        )

        runtime = {"device": device, "trust_remote_code": trust_remote_code}
        loaded, views = ModelSource(model, module, model_path, layers, cache, runtime).views()

        def run_view(view, store, where):
            run_prerequisites(reference_prerequisite(view.model_id, where, config),
                              model_loader(cache))
            payload = run(view, store, where, config)
            if not quiet and view.layer is not None:
                typer.echo(f"layer {view.layer}: " + summary_line(payload)
                           + f" -> {where / 'timbre.json'}")
            return payload

        out_dir = default_out(loaded, out)
        payload = for_each_view(views, out_dir, run_view, cache=cache)[-1][2]
        if layers is not None:
            return
    if not quiet:
        typer.echo(summary_line(payload) + f" -> {Path(out_dir) / 'timbre.json'}")


def summary_line(payload: dict) -> str:
    """One line: unlearned and held-out medians first, the in-sample upper bound last."""
    n = len(payload["explained_variance"])
    parts = []
    unl = (payload.get("unlearned") or {}).get("cosine") or {}
    cos = unl.get("median", {}).get("explained_variance")
    if cos is not None:
        parts.append(f"unlearned (cosine) {cos:.3f}{_ci((unl.get('median_ci') or {}).get('explained_variance'))}")
    for key, label in (("regularised_loso_median", "regularised held-out"),
                       ("loso_median", "held-out")):
        if payload.get(key) is not None:
            parts.append(f"{label} {payload[key]:.3f}{_ci(payload.get(key + '_ci'))}")
    parts.append(f"in-sample (upper bound) {payload['median']:.3f}{_ci(payload.get('median_ci'))}")
    return f"timbre, median signed explained variance over {n} studies: " + ", ".join(parts)


def _ci(v) -> str:
    return "" if not v or None in v else f" [{v[0]:.3f}, {v[1]:.3f}]"
