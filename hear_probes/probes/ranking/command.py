"""``hear-probes probe ranking``: the pitch/level ranking probe from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hear_probes import cli_common as opt
from hear_probes.errors import HearProbesError

__all__ = ["command"]


def command(
    model: opt.ModelOpt = None,
    module: opt.ModuleOpt = None,
    distance: Annotated[str | None, typer.Option(
        "--distance", "-d",
        help="Spectral distance(s), comma-separated, or 'all' / 'spectral' / 'sot'.")] = None,
    model_path: opt.ModelPathOpt = None,
    trials: Annotated[int, typer.Option("--trials", min=1, help="Number of trials.")] = 1000,
    seed: opt.SeedOpt = 0,
    out: opt.OutOpt = None,
    duration: Annotated[float, typer.Option("--duration", min=0.05,
                                            help="Stimulus duration in seconds.")] = 1.0,
    metric: Annotated[str, typer.Option(
        "--metric", help="Embedding distance for HEAR modules: euclidean, cosine, l1.")
    ] = "euclidean",
    figures: Annotated[bool, typer.Option("--figures/--no-figures",
                                          help="Write the PNG figures.")] = True,
    batch_size: Annotated[int | None, typer.Option(
        "--batch-size", min=1, help="Trials (default 10) or clips (at least 16) per batch.")] = None,
    curve_points: Annotated[int | None, typer.Option(
        "--curve-points", min=2, help="Predicted pitches per curve (default 200; 120 for modules).")
    ] = None,
    heatmap_cells: Annotated[int | None, typer.Option(
        "--heatmap-cells", min=2,
        help="Heat map cells per axis (default 40; 80 is the paper's resolution; 32 for modules).")
    ] = None,
    cache: opt.CacheOpt = None,
    quick: Annotated[bool, typer.Option(help="Few trials and short stimuli.")] = False,
    layers: opt.LayersOpt = None,
    tie_rule: Annotated[str, typer.Option(
        "--tie-rule", help="'tolerance' (default: rounding-level differences are ties, left out) "
        "or 'strict' (the paper's '<' as written).")] = "tolerance",
    tie_rtol: Annotated[float | None, typer.Option(
        "--tie-rtol", min=0.0, help="Tie tolerance relative to the rounding scale (default 1e-5; "
        "the gradient tolerance is scaled with it).")] = None,
    precision: Annotated[str | None, typer.Option(
        "--precision", help="float32 or float64: stimuli and distances (spectral; default "
        "float32), distances between embeddings (modules; default float64).")] = None,
    min_decided: Annotated[int, typer.Option(
        "--min-decided", min=1, help="Fewest decided trials for an accuracy (else n/a).")
    ] = 30,
    quiet: opt.QuietOpt = False,
    device: opt.DeviceOpt = None,
    trust_remote_code: opt.TrustRemoteCodeOpt = False,
) -> None:
    """Pitch/level ranking accuracy (Turian & Henry 2020) of a model or spectral distances."""
    from hear_probes.probes.ranking.settings import RankingSettings
    from hear_probes.views import ModelSource, check_one_source, default_out, for_each_view

    kind = check_one_source(layers, model=model, module=module, distance=distance)
    settings = RankingSettings.for_run(
        "distances" if kind == "distance" else "module", quick, tie_rule=tie_rule,
        tie_rtol=tie_rtol, n_trials=trials, seed=seed, duration=duration,
        metric=None if kind == "distance" else metric, figures=figures, batch_size=batch_size,
        quiet=quiet, curve_points=curve_points, heatmap_cells=heatmap_cells,
        precision=precision, min_decided=min_decided)
    if kind == "distance":
        from hear_probes.probes.ranking.catalogue import parse_distance_names
        from hear_probes.probes.ranking.run import run_distances

        try:
            names = parse_distance_names(distance)
        except ValueError as exc:
            raise HearProbesError(str(exc)) from exc
        out_dir = default_out("spectral-distances", out)
        run_distances(names, Path(out_dir), settings)
    else:
        from hear_probes.probes.ranking.run import run

        def run_view(view, store, where):
            try:
                run(view, store, where, settings)
            except ValueError as exc:
                raise HearProbesError(str(exc)) from exc
            if not quiet and view.layer is not None:
                typer.echo(f"ranking: {where / 'ranking.json'}")

        runtime = {"device": device, "trust_remote_code": trust_remote_code}
        source = ModelSource(model, module, model_path, layers, cache, runtime)
        loaded, views = source.views()
        out_dir = default_out(loaded, out)
        for_each_view(views, out_dir, run_view, cache=cache)
    if not quiet:
        typer.echo(f"ranking: {Path(out_dir) / 'ranking.json'}")
