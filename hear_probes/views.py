"""From a model to its result folders: one source, its layer views, one loop over them.

Every way of running a probe on a model (``hear-probes evaluate``, ``hear-probes probe
<name>``, a sweep task, the Python API) goes through the same three steps:

1. :class:`ModelSource` says which model (``--model`` or ``--module``, optionally
   ``--model-path``, ``--layers`` and ``--cache``), and checks that exactly one source is
   given (:func:`check_one_source`, also for a probe's own alternative such as
   ``--embeddings`` or ``--distance``);
2. :meth:`ModelSource.views` loads it (contract-checked) and gives one view per selected
   layer (``[loaded]`` without ``--layers``);
3. :func:`for_each_view` runs a function on every view with its store and its result folder
   (``<out>`` or ``<out>/layer-K``, :func:`hear_probes.layers.layer_out_dir`).

Nothing here imports the command line (typer): the CLI turns flags into these objects.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hear_probes.errors import HearProbesError, ModelResolutionError
from hear_probes.hear_module import LoadedModule, load_hear_module
from hear_probes.store import EmbeddingStore

#: How each model source is named in the one-line errors (the command-line flag).
SOURCE_FLAGS = {"model": "--model NAME", "module": "--module MOD",
                "embeddings": "--embeddings FILE.h5", "distance": "--distance NAME"}

#: Why ``--layers`` cannot go with a source other than a model.
_NO_LAYERS = {"embeddings": "one HDF5 file is one representation",
              "distance": "spectral distances have no layers"}


def check_one_source(layers: str | None = None, **given: Any) -> str:
    """The one model source given among ``given`` (``model=..., module=..., embeddings=...``).

    Parameters
    ----------
    layers : str, optional
        ``--layers``: allowed only with ``model`` or ``module``.
    **given
        Each possible source by name (a key of :data:`SOURCE_FLAGS`) and its value (None or
        empty: not given).

    Returns
    -------
    str
        The name of the source that was given.

    Raises
    ------
    ModelResolutionError
        When none or several are given, or ``layers`` goes with a source that has none.
    """
    names = [k for k, v in given.items() if v is not None and v != ""]
    if len(names) != 1:
        flags = [SOURCE_FLAGS.get(k, f"--{k}") for k in given]
        listed = ", ".join(flags[:-1]) + " or " + flags[-1] if len(flags) > 1 else flags[0]
        raise ModelResolutionError(f"give exactly one of {listed}")
    if layers is not None and names[0] in _NO_LAYERS:
        raise ModelResolutionError(
            f"--layers selects layers of a model: use it with --model or --module, not with "
            f"--{names[0]} ({_NO_LAYERS[names[0]]})")
    return names[0]


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
        raise HearProbesError(f"--datasets {datasets!r}: no study named; give comma-separated "
                              "study names (e.g. Grey1977,Grey1978) or leave the option out for all")
    return names


@dataclass(frozen=True)
class ModelSource:
    """Which model to run, checked when made.

    Attributes
    ----------
    model : str, optional
        Built-in name or ``hf:<id>`` (``--model``).
    module : str, optional
        Dotted path of a HEAR module (``--module``).
    model_path : Path, optional
        Weights passed to ``load_model`` (``--model-path``).
    layers : str, optional
        ``--layers`` of a layered model.
    cache : Path, optional
        Cache folder of the embedding stores (``--cache``).
    runtime : dict, optional
        ``{"device": ..., "trust_remote_code": ...}`` (``--device``, ``--trust-remote-code``),
        see :func:`hear_probes.hear_module.load_hear_module`.

    Raises
    ------
    ModelResolutionError
        When neither or both of ``model`` and ``module`` are given.
    """

    model: str | None = None
    module: str | None = None
    model_path: Path | None = None
    layers: str | None = None
    cache: Path | None = None
    runtime: dict | None = field(default=None, compare=False, hash=False)

    def __post_init__(self) -> None:
        check_one_source(model=self.model, module=self.module)

    def load(self, check: bool = True) -> LoadedModule:
        """Load the model and (by default) run the API contract checks on it."""
        return resolve_loaded(self.model, self.module, self.model_path, check=check,
                              runtime=self.runtime)

    def views(self) -> tuple[LoadedModule, list[LoadedModule]]:
        """The loaded model and one view per selected layer (``[loaded]`` without layers).

        ``cache`` is checked first (not a file, not a dangling link), before the model loads.
        """
        from hear_probes.checks import check_cache_dir

        check_cache_dir(self.cache)
        loaded = self.load()
        if self.layers is None:
            return loaded, [loaded]
        from hear_probes.layers import layer_views

        return loaded, layer_views(loaded, self.layers, self.cache)


def resolve_loaded(model: str | None, module: str | None, model_path: Path | None,
                   check: bool = True, runtime: dict | None = None) -> LoadedModule:
    """Load ``--model`` or ``--module`` and (by default) run the contract checks on it.

    ``runtime``: ``{"device": ..., "trust_remote_code": ...}`` (``--device``,
    ``--trust-remote-code``), see :func:`hear_probes.hear_module.load_hear_module`.
    """
    check_one_source(model=model, module=module)
    loaded = load_hear_module(name=model, module=module, model_path=model_path, runtime=runtime)
    if check:
        from hear_probes.contract import check_module

        check_module(loaded)
    return loaded


def open_store(loaded: LoadedModule, cache: Path | None) -> EmbeddingStore:
    """The embedding store of a loaded module (``cache`` checked first)."""
    from hear_probes.checks import check_cache_dir

    check_cache_dir(cache)
    return EmbeddingStore.for_model(loaded, cache)


def default_out(loaded_or_name: LoadedModule | str, out: Path | None) -> Path:
    """``out`` or ``hear-probes-results/<model id>`` in the current folder.

    Checked before any computing: it must be (or be creatable as) a writable folder, else a
    one-line :class:`~hear_probes.errors.HearProbesError`.
    """
    from hear_probes.checks import check_out_dir

    if out is not None:
        return check_out_dir(out, "--out")
    name = loaded_or_name if isinstance(loaded_or_name, str) else loaded_or_name.model_id
    from hear_probes.store import safe_name

    return check_out_dir(Path("hear-probes-results") / safe_name(name), "output folder")


def view_out_dir(out: Path, view: LoadedModule) -> Path:
    """Result folder of one view: ``out`` itself, or ``out/layer-K`` for a layer view."""
    from hear_probes.layers import layer_out_dir

    return Path(out) if view.layer is None else layer_out_dir(out, view.layer)


#: ``run(view, store, folder) -> result`` of :func:`for_each_view`.
ViewFn = Callable[[LoadedModule, EmbeddingStore, Path], Any]


def for_each_view(views: list[LoadedModule], out: Path, run: ViewFn, *,
                  cache: Path | None = None,
                  skip: Callable[[LoadedModule, Path], bool] | None = None
                  ) -> list[tuple[LoadedModule, Path, Any]]:
    """Run ``run(view, store, folder)`` on every view, each in its own result folder.

    Parameters
    ----------
    views : list of LoadedModule
        A model (``[loaded]``) or its layer views (:meth:`ModelSource.views`); the first
        layer view embeds every selected layer in one pass, the others find their sets cached.
    out : Path
        Result folder of the model (layer ``K`` writes to ``out/layer-K``).
    run : callable
        ``run(view, store, folder) -> result``.
    cache : Path, optional
        Cache folder of the stores.
    skip : callable, optional
        ``skip(view, folder) -> bool``: leave this view out (a sweep's done markers).

    Returns
    -------
    list of (view, folder, result)
        One per view that ran, in order.
    """
    done = []
    for view in views:
        folder = view_out_dir(out, view)
        if skip is not None and skip(view, folder):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        done.append((view, folder, run(view, open_store(view, cache), folder)))
    return done


def model_loader(cache: Path | None = None) -> Callable[[str], tuple[LoadedModule, EmbeddingStore]]:
    """``load(name) -> (loaded, store)``: a built-in model and its store in ``cache``.

    What ``evaluate`` and the probe commands lend a probe that needs another model's
    results (:attr:`hear_probes.probes.registry.RunOptions.load_model`), so that no probe
    loads a model itself.
    """

    def load(name: str) -> tuple[LoadedModule, EmbeddingStore]:
        loaded = load_hear_module(name=name)
        return loaded, EmbeddingStore.for_model(loaded, cache)

    return load


def run_prerequisites(prerequisites, load_model) -> None:
    """Compute each missing :class:`~hear_probes.probes.registry.Prerequisite`.

    ``load_model(name) -> (loaded, store)`` (:func:`model_loader`) loads its model; a
    failure stops the run when the prerequisite is required, else it is reported in one line
    on stderr and the probe goes on without it.
    """
    for pre in prerequisites:
        if (pre.folder / pre.result).is_file():
            continue
        try:
            loaded, store = load_model(pre.model)
            pre.run(loaded, store, pre.folder)
        except HearProbesError as exc:
            if pre.required:
                raise
            print(f"{pre.model}: not computed ({exc})", file=sys.stderr, flush=True)
