"""``hear-probes probe gear``: the GEAR probe from the command line."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from hear_probes import cli_common as opt

EmbeddingsOpt = Annotated[
    Path | None,
    typer.Option("--embeddings", help="HDF5 file with /gear/<set>/embeddings and item_ids "
                 "(store layout); factors are parsed from the item ids."),
]
SetOpt = Annotated[
    str | None, typer.Option("--set", help="Set under /gear in --embeddings (default: tones).")
]
VariantOpt = Annotated[
    str, typer.Option("--variant", help="Stimuli: 'paper' (64 ms Hann bursts, as the paper) or "
                      "'perceptual' (1 s tones, perceptual scales).")
]
NotebookOpt = Annotated[
    bool, typer.Option("--notebook", help="Paper variant with the authors' notebook deviations.")
]
QuickOpt = Annotated[bool, typer.Option("--quick", help="400 tones instead of 2500.")]
SeedsOpt = Annotated[
    int, typer.Option("--seeds", min=1, help="Number of seeds (SEED, SEED+1, ...): each draws "
                      "new tones and folds; scores are reported as mean and 95 % t interval.")
]
NTonesOpt = Annotated[
    int | None, typer.Option("--n-tones", min=20, help="Seeded subset of this many tones.")
]


def command(
    model: opt.ModelOpt = None,
    module: opt.ModuleOpt = None,
    model_path: opt.ModelPathOpt = None,
    embeddings: EmbeddingsOpt = None,
    set_name: SetOpt = None,
    variant: VariantOpt = "paper",
    notebook: NotebookOpt = False,
    quick: QuickOpt = False,
    n_tones: NTonesOpt = None,
    out: opt.OutOpt = None,
    cache: opt.CacheOpt = None,
    seed: opt.SeedOpt = 0,
    seeds: SeedsOpt = 5,
    layers: opt.LayersOpt = None,
    quiet: opt.QuietOpt = False,
    device: opt.DeviceOpt = None,
    batch_size: opt.BatchSizeOpt = None,
    trust_remote_code: opt.TrustRemoteCodeOpt = False,
) -> None:
    """GEAR: Isomap, kNN regression and factor scores of f1, alpha, r (writes gear.json)."""
    from hear_probes.probes.gear.run import run, run_embeddings_file
    from hear_probes.probes.gear.settings import GearSettings
    from hear_probes.views import ModelSource, check_one_source, default_out, for_each_view

    kind = check_one_source(layers, model=model, module=module, embeddings=embeddings)
    settings = GearSettings(variant=variant, notebook=notebook, quick=quick, n_tones=n_tones,
                            seed=seed, n_seeds=seeds, quiet=quiet,
                            **({} if batch_size is None else {"batch_size": batch_size}))
    t0 = time.perf_counter()
    if kind == "embeddings":
        out_dir = default_out(embeddings.stem, out)
        payload = run_embeddings_file(embeddings, out_dir, set_name, settings)
    else:
        runtime = {"device": device, "trust_remote_code": trust_remote_code}
        loaded, views = ModelSource(model, module, model_path, layers, cache, runtime).views()

        def run_view(view, store, where):
            payload = run(view, store, where, settings)
            if not quiet and view is not views[-1]:  # the last one is printed below
                typer.echo(f"gear: {where / 'gear.json'}")
            return payload

        done = for_each_view(views, default_out(loaded, out), run_view, cache=cache)
        _, out_dir, payload = done[-1]
    if not quiet:
        typer.echo(f"mean over {len(payload['seeds']['seeds'])} seeds [95 % t interval]")
        for name, res in payload["factors"].items():
            typer.echo(f"{name:>9}: " + "  ".join(
                f"{label} {_with_ci(res, key)}" for key, label in _printed()))
        typer.echo(f"gear: {out_dir / 'gear.json'} ({time.perf_counter() - t0:.1f} s)")


#: Short labels of the scores printed per factor (the keys: :data:`.schema.GEAR_SCORES`).
_SHORT = ("kNN R2 K=10", "K=40", "Isomap-linear R2", "sensitivity", "effect")


def _printed() -> list[tuple[str, str]]:
    from hear_probes.probes.gear.schema import GEAR_SCORES

    return list(zip(GEAR_SCORES, _SHORT, strict=True))


def _with_ci(block: dict, key: str) -> str:
    """``0.944 [0.941, 0.947]`` (the interval left out when it is undefined)."""
    lo, hi = block.get(f"{key}_ci") or (None, None)
    ci = f" [{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else ""
    return f"{block[key]:.3f}{ci}"
