"""``hear-probes probe ranking``: the pitch/level ranking probe from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hear_probes.cli_common import (
    CacheOpt,
    DeviceOpt,
    LayersOpt,
    ModelOpt,
    ModelPathOpt,
    ModuleOpt,
    OutOpt,
    QuietOpt,
    SeedOpt,
    TrustRemoteCodeOpt,
    default_out,
    open_store,
)
from hear_probes.errors import HearProbesError

__all__ = ["command"]


def _scoring(tie_rule: str, tie_rtol: float | None, precision: str | None,
             min_decided: int) -> dict:
    """The scoring fields of :class:`RankingSettings` from the command-line options."""
    from hear_probes.probes.ranking.accuracy import TIE_RTOL, TIE_RULES, TieRule

    if tie_rule not in TIE_RULES:
        raise HearProbesError(f"--tie-rule {tie_rule!r} is not one of: {', '.join(TIE_RULES)}")
    if precision not in (None, "float32", "float64"):
        raise HearProbesError(f"--precision {precision!r} is not one of: float32, float64")
    return {"ties": TieRule.scaled(tie_rule, TIE_RTOL if tie_rtol is None else tie_rtol),
            "precision": precision, "min_decided": min_decided}


def command(
    model: ModelOpt = None,
    module: ModuleOpt = None,
    distance: Annotated[str | None, typer.Option(
        "--distance", "-d",
        help="Spectral distance(s), comma-separated, or 'all' / 'spectral' / 'sot'.")] = None,
    model_path: ModelPathOpt = None,
    trials: Annotated[int, typer.Option("--trials", min=1, help="Number of trials.")] = 1000,
    seed: SeedOpt = 0,
    out: OutOpt = None,
    duration: Annotated[float, typer.Option("--duration", min=0.05,
                                            help="Stimulus duration in seconds.")] = 1.0,
    metric: Annotated[str, typer.Option(
        "--metric", help="Embedding distance for HEAR modules: euclidean, cosine, l1.")
    ] = "euclidean",
    figures: Annotated[bool, typer.Option("--figures/--no-figures",
                                          help="Write the PNG figures.")] = True,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1,
                                            help="Trials (or clips) per batch.")] = 10,
    curve_points: Annotated[int | None, typer.Option(
        "--curve-points", min=2, help="Predicted pitches per curve (default 200; 120 for modules).")
    ] = None,
    heatmap_cells: Annotated[int | None, typer.Option(
        "--heatmap-cells", min=2,
        help="Heat map cells per axis (default 40; 80 is the paper's resolution; 32 for modules).")
    ] = None,
    cache: CacheOpt = None,
    quick: Annotated[bool, typer.Option(help="Few trials and short stimuli.")] = False,
    layers: LayersOpt = None,
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
    quiet: QuietOpt = False,
    device: DeviceOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Pitch/level ranking accuracy (Turian & Henry 2020) of a model or spectral distances."""
    from hear_probes.probes.ranking.catalogue import parse_distance_names
    from hear_probes.probes.ranking.settings import QUICK_TRIALS, RankingSettings

    scoring = _scoring(tie_rule, tie_rtol, precision, min_decided)
    given = [x for x in (model, module, distance) if x]
    if len(given) != 1:
        raise HearProbesError("give exactly one of --model NAME, --module MOD or --distance NAME")
    if quick:
        trials, duration = min(trials, QUICK_TRIALS), min(duration, 0.5)
    if distance and layers is not None:
        raise HearProbesError("--layers selects layers of a model: use it with --model or --module, "
                              "not with --distance (spectral distances have no layers)")
    if distance:
        from hear_probes.probes.ranking.probe import evaluate_distances

        try:
            names = parse_distance_names(distance)
        except ValueError as exc:
            raise HearProbesError(str(exc)) from exc
        out_dir = default_out("spectral-distances", out)
        evaluate_distances(names, Path(out_dir), RankingSettings(
            n_trials=trials, seed=seed, duration=duration, figures=figures,
            batch_size=batch_size, quiet=quiet,
            curve_points=curve_points or (60 if quick else 200),
            heatmap_cells=heatmap_cells or (16 if quick else 40), **scoring))
    else:
        from hear_probes.cli_common import resolve_views
        from hear_probes.layers import layer_out_dir
        from hear_probes.probes.ranking.probe import evaluate_module

        settings = RankingSettings(
            n_trials=trials, seed=seed, duration=duration, metric=metric, figures=figures,
            batch_size=max(batch_size, 16), quiet=quiet,
            curve_points=curve_points or (40 if quick else 120),
            heatmap_cells=heatmap_cells or (12 if quick else 32), **scoring)
        loaded, views = resolve_views(model, module, model_path, layers, cache,
                                      runtime={"device": device, "trust_remote_code": trust_remote_code})
        out_dir = default_out(loaded, out)
        for view in views:  # --layers: one pass embeds every layer, one folder per layer
            where = Path(out_dir) if view.layer is None else layer_out_dir(out_dir, view.layer)
            try:
                evaluate_module(view, open_store(view, cache), where, settings)
            except ValueError as exc:
                raise HearProbesError(str(exc)) from exc
            if not quiet and view.layer is not None:
                typer.echo(f"ranking: {where / 'ranking.json'}")
    if not quiet:
        typer.echo(f"ranking: {Path(out_dir) / 'ranking.json'}")
