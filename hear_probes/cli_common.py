"""Options and helpers shared by the CLI commands of every probe."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hear_probes.errors import ModelResolutionError
from hear_probes.hear_module import LoadedModule, load_hear_module
from hear_probes.store import EmbeddingStore

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Built-in model name (see 'hear-probes models').")]
ModuleOpt = Annotated[str | None, typer.Option("--module", help="Dotted path of any HEAR module, e.g. mypkg.mymodel.")]
ModelPathOpt = Annotated[Path | None, typer.Option("--model-path", help="Weights passed to load_model(model_file_path).")]
CacheOpt = Annotated[Path | None, typer.Option("--cache", help="Cache folder (default: $XDG_CACHE_HOME/hear-probes).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Output folder for JSON/CSV/PNG.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (recorded in the results).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
LayersOpt = Annotated[str | None, typer.Option(
    "--layers", help="Layers of a layered model (hf:<id>, mert, crepe): all, last, first or "
                     "comma-separated indices such as 0,4,8; results go to <out>/layer-K.")]
DeviceOpt = Annotated[str | None, typer.Option(
    "--device", help="Where a torch model runs: cpu, cuda, cuda:1, mps or auto (default: the "
                     "module's own choice, CUDA when available).")]
BatchSizeOpt = Annotated[int | None, typer.Option(
    "--batch-size", min=1, help="Sounds per get_scene_embeddings call (default: each probe's).")]
TrustRemoteCodeOpt = Annotated[bool, typer.Option(
    "--trust-remote-code", help="Let hf:/mert checkpoints run their repository's own Python code "
                                "(review it first; hub ids must be pinned to a commit).")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="Folder of the timbre datasets (sounds/, ratings/); a sibling timbre-extra/ folder is used too.")]


def parse_datasets(datasets: str | None) -> tuple[str, ...] | None:
    """``--datasets a,b``: the study names; None when the option is not given.

    Raises
    ------
    HearProbesError
        When it is given but names no study (``--datasets ""``), which would otherwise
        silently run every study.
    """
    if datasets is None:
        return None
    names = tuple(d.strip() for d in datasets.split(",") if d.strip())
    if not names:
        from hear_probes.errors import HearProbesError

        raise HearProbesError(f"--datasets {datasets!r}: no study named; give comma-separated "
                              "study names (e.g. Grey1977,Grey1978) or leave the option out for all")
    return names


def resolve_loaded(model: str | None, module: str | None, model_path: Path | None,
                   check: bool = True, runtime: dict | None = None) -> LoadedModule:
    """Load ``--model`` or ``--module`` and (by default) run the contract checks on it.

    ``runtime``: ``{"device": ..., "trust_remote_code": ...}`` (``--device``,
    ``--trust-remote-code``), see :func:`hear_probes.hear_module.load_hear_module`.
    """
    if model is None and module is None:
        raise ModelResolutionError("give --model NAME (see 'hear-probes models') or --module pkg.module")
    loaded = load_hear_module(name=model, module=module, model_path=model_path, runtime=runtime)
    if check:
        from hear_probes.contract import check_module

        check_module(loaded)
    return loaded


def open_store(loaded: LoadedModule, cache: Path | None) -> EmbeddingStore:
    """The embedding store of a loaded module."""
    from hear_probes.checks import check_cache_dir

    check_cache_dir(cache)
    return EmbeddingStore.for_model(loaded, cache)


def default_out(loaded_or_name, out: Path | None) -> Path:
    """``--out`` or ``hear-probes-results/<model id>`` in the current folder.

    Checked before any computing: it must be (or be creatable as) a writable folder, else a
    one-line :class:`~hear_probes.errors.HearProbesError`.
    """
    from hear_probes.checks import check_out_dir

    if out is not None:
        return check_out_dir(out, "--out")
    name = loaded_or_name if isinstance(loaded_or_name, str) else loaded_or_name.model_id
    from hear_probes.store import safe_name

    return check_out_dir(Path("hear-probes-results") / safe_name(name), "output folder")


def resolve_views(model: str | None, module: str | None, model_path: Path | None,
                  layers: str | None, cache: Path | None,
                  runtime: dict | None = None) -> tuple[LoadedModule, list[LoadedModule]]:
    """The loaded model and, with ``--layers``, one view per selected layer (else ``[loaded]``).

    ``--cache`` is checked first (not a file, not a dangling link), before the model loads.
    """
    from hear_probes.checks import check_cache_dir

    check_cache_dir(cache)
    loaded = resolve_loaded(model, module, model_path, runtime=runtime)
    if layers is None:
        return loaded, [loaded]
    from hear_probes.layers import layer_views

    return loaded, layer_views(loaded, layers, cache)


def model_loader(cache: Path | None = None):
    """``load(name) -> (loaded, store)``: a built-in model and its store in ``cache``.

    What ``evaluate`` and the probe commands lend a probe that needs another model's
    results (:attr:`hear_probes.probes.registry.RunOptions.load_model`), so that no probe
    loads a model itself.
    """

    def load(name: str):
        from hear_probes.hear_module import load_hear_module
        from hear_probes.store import EmbeddingStore

        loaded = load_hear_module(name=name)
        return loaded, EmbeddingStore.for_model(loaded, cache)

    return load


def run_prerequisites(prerequisites, load_model) -> None:
    """Compute each missing :class:`~hear_probes.probes.registry.Prerequisite`.

    ``load_model(name) -> (loaded, store)`` (:func:`model_loader`) loads its model; a
    failure stops the run when the prerequisite is required, else it is reported in one line
    on stderr and the probe goes on without it.
    """
    from hear_probes.errors import HearProbesError

    for pre in prerequisites:
        if (pre.folder / pre.result).is_file():
            continue
        try:
            loaded, store = load_model(pre.model)
            pre.run(loaded, store, pre.folder)
        except HearProbesError as exc:
            if pre.required:
                raise
            import sys

            print(f"{pre.model}: not computed ({exc})", file=sys.stderr, flush=True)
