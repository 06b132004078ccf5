"""Model x layer x probe sweeps on Dask (``hear-probes sweep``), resumable per task.

One Dask task per (model, layer set, probe): it loads the model on a worker, embeds every
selected layer in one forward pass per batch (:mod:`hear_probes.layers`) and runs the probe on
each layer, writing ``<out>/<model>/layer-K/<probe>.json`` (``<out>/<model>/`` without
``--layers``). A finished (model, layer, probe) leaves a done marker
``<out>/<model>/layer-K/.done-<probe>`` naming its model; a rerun skips what is marked for
that model, so a killed or partly
failed sweep resumes where it stopped. A task that fails logs its error (``<out>/sweep.log``
and stderr) and the others go on. The scheduler is a ``LocalCluster`` (``--workers N``) unless
``--scheduler ADDRESS`` names a running one. One report over every result folder ends the run.

State files (done markers, ``<model>/layers.json``, ``sweep.json``) are written atomically; a
damaged one (e.g. truncated by a full disk) is reported in one warning line and the part it
described is recomputed. Model folders are unique per model id (``hf:/x/p/q`` and
``hf:/x/p_q`` never share one).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hear_probes.atomic import atomic_write_text

DONE = ".done-{probe}"
MODULE_PREFIX = "module:"


@dataclass(frozen=True)
class SweepTask:
    """One (model, layer set, probe) cell of the grid."""

    model: str
    layers: str | None
    probe: str

    def label(self) -> str:
        """Short text for logs and the progress bar."""
        return f"{self.model} [{self.layers or 'default'}] {self.probe}"


def model_folder(out: Path, model: str) -> Path:
    """Result folder of a model in a sweep (``<out>/<safe model name>``), unique per model id
    (:func:`hear_probes.store.safe_name`)."""
    from hear_probes.store import safe_name

    return Path(out) / safe_name(model.removeprefix(MODULE_PREFIX))


def read_state(path: Path, what: str) -> dict | None:
    """A sweep state file (``layers.json``, ``sweep.json``, a done marker) as a dict.

    Returns None when it is absent; a damaged file (truncated, not JSON, not an object) is
    reported in one ``warning:`` line and also gives None, so that the caller recomputes
    what it described instead of crashing.
    """
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        data, why = None, f"{type(exc).__name__}: {exc}"
    else:
        why = "" if isinstance(data, dict) else f"a JSON {type(data).__name__}, not an object"
    if why:
        import warnings

        from hear_probes.errors import HearProbesWarning

        warnings.warn(f"{path}: damaged {what} ({why}); ignored, that part is recomputed",
                      HearProbesWarning, stacklevel=2)
        return None
    return data


def marker_done(marker: Path, model: str, settings: dict | None = None) -> bool:
    """Whether ``marker`` is a valid done marker written for ``model`` (it names its model).

    A marker that records the settings of its run (``quick``, ``seed`` and the probe's
    options, see :func:`task_settings`) counts only when ``settings`` are the same: a sweep
    rerun with, say, another ``--null-fits`` recomputes instead of keeping results made
    otherwise. A marker of an earlier version (no ``model`` key) counts only for a model
    whose folder name is its id unchanged: no other id can have written it.
    """
    if not marker.is_file():
        return False
    data = read_state(marker, "done marker")
    if data is None:
        return False
    if settings is not None and "settings" in data and data["settings"] != settings:
        return False
    if "model" not in data:
        from hear_probes.store import safe_name

        bare = model.removeprefix(MODULE_PREFIX)
        return safe_name(bare) == bare
    return data.get("model") == model


def check_sweep(models: list[str], out: Path, config: SweepConfig) -> None:
    """One-line errors before a sweep starts its Dask cluster.

    Checks the scheduler address, ``--layers`` (its form; layer names against each loaded
    model), that every model is known
    (built-in name, ``hf:<id>``, or an importable ``module:<dotted>``), and that ``out`` is
    a writable folder.
    """
    import importlib.util

    from hear_probes.checks import check_cache_dir, check_out_dir, check_scheduler
    from hear_probes.errors import ModelResolutionError
    from hear_probes.layers import check_layers_spec
    from hear_probes.registry import get_spec

    check_scheduler(config.scheduler)
    if config.layers is not None:
        check_layers_spec(config.layers)
    for model in models:
        if not model.startswith(MODULE_PREFIX):
            get_spec(model)  # unknown names fail here, listing the known ones
            continue
        dotted = model[len(MODULE_PREFIX):]
        try:
            found = importlib.util.find_spec(dotted) if dotted else None
        except (ImportError, ValueError):
            found = None
        if found is None:
            raise ModelResolutionError(f"--models {model}: no module {dotted!r} on PYTHONPATH; "
                                       "give module:<dotted path of an importable HEAR module>")
    if config.layers is not None and _names_layers(config.layers):
        _check_layer_names(models, config.layers)
    check_out_dir(out, "--out")
    check_cache_dir(config.cache)


def _names_layers(spec: str) -> bool:
    """Whether ``--layers`` names a layer (``conv3``) rather than only indices/all/first/last."""
    parts = [p.strip().lower() for p in str(spec).split(",")]
    return any(p not in ("all", "first", "last") and not p.lstrip("-").isdigit() for p in parts)


def _check_layer_names(models: list[str], spec: str) -> None:
    """Layer names exist only in a loaded model: load each one here, before any worker starts.

    An unknown name (or a model without layers) is then the same one-line usage error as in
    ``evaluate --layers``, not a failed task after a Dask cluster has started.
    """
    from hear_probes.layers import layer_views

    for model in models:
        layer_views(_load(model), spec)


def _source(model: str, layers: str | None = None, cache=None, runtime: dict | None = None):
    """The :class:`~hear_probes.views.ModelSource` of a ``--models`` entry."""
    from hear_probes.views import ModelSource

    if model.startswith(MODULE_PREFIX):
        return ModelSource(module=model[len(MODULE_PREFIX):], layers=layers, cache=cache,
                           runtime=runtime)
    return ModelSource(model=model, layers=layers, cache=cache, runtime=runtime)


def _load(model: str):
    return _source(model).load()


def task_settings(task: SweepTask, cfg: SweepConfig) -> dict:
    """What shapes a task's results and goes in its done markers: ``quick``, ``seed`` and
    the options of its probe (``--null-fits``, ``--no-figures``); not the batch size or the
    device, which change how fast, not what."""
    return {"quick": bool(cfg.quick), "seed": int(cfg.seed),
            "options": dict(cfg.probe_options.get(task.probe) or {})}


def run_task(task: SweepTask, out: str, cfg: SweepConfig) -> dict:
    """Run one task (on a worker); never raises: returns ``{"status", "error", "layers"}``.

    Layers whose done marker (for the same :func:`task_settings`) exists are skipped; each
    finished layer gets its marker.
    """
    t0 = time.perf_counter()
    try:
        from hear_probes.evaluation import run_probes
        from hear_probes.probes.registry import RunOptions
        from hear_probes.views import for_each_view

        cache = str(cfg.cache) if cfg.cache else None
        runtime = {"device": cfg.device} if cfg.device else None
        _, views = _source(task.model, task.layers, cache, runtime).views()
        options = RunOptions(quick=cfg.quick, seed=cfg.seed, quiet=True, data=cfg.data,
                             probe_options={task.probe: dict(cfg.probe_options.get(task.probe) or {})},
                             batch_size=cfg.batch_size)
        settings = task_settings(task, cfg)

        def run_view(view, store, folder: Path) -> None:
            ran = run_probes(view, store, folder, [task.probe], options)
            atomic_write_text(folder / DONE.format(probe=task.probe), json.dumps({
                "model": task.model, "probe": task.probe, "layer": view.layer, "ran": ran,
                "settings": settings, "finished": datetime.now(UTC).isoformat()}))

        ran_views = for_each_view(
            views, model_folder(Path(out), task.model), run_view, cache=cache,
            skip=lambda view, folder: marker_done(folder / DONE.format(probe=task.probe), task.model,
                                                  settings))
        done = [view.layer for view, _, _ in ran_views]
        return {"status": "ok", "layers": done, "all_layers": [v.layer for v in views],
                "seconds": time.perf_counter() - t0}
    except BaseException as exc:  # noqa: BLE001 - a failed task must not stop the sweep
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "seconds": time.perf_counter() - t0}


def is_done(task: SweepTask, out: Path, settings: dict | None = None) -> bool:
    """Whether every layer of a task has its done marker (known without loading the model).

    For ``--layers all`` or ``last`` the layer count is only known after loading: such a task
    counts as done when a ``layers.json`` written by an earlier run lists its layers and all
    are marked. ``settings`` (:func:`task_settings`): markers written with other settings
    do not count.
    """
    base = model_folder(out, task.model)
    marker = DONE.format(probe=task.probe)
    if task.layers is None:
        return marker_done(base / marker, task.model, settings)
    layers = (read_state(base / "layers.json", "layer index") or {}).get(task.layers)
    if not isinstance(layers, list) or not all(isinstance(k, int) for k in layers):
        return False
    return bool(layers) and all(marker_done(base / f"layer-{k}" / marker, task.model, settings)
                                for k in layers)


def _record_layers(task: SweepTask, out: Path, layers: list) -> None:
    """Remember which layers ``task.layers`` meant (``<model>/layers.json``) for :func:`is_done`."""
    if task.layers is None or not layers:
        return
    index = model_folder(out, task.model) / "layers.json"
    data = read_state(index, "layer index") or {}
    data[task.layers] = [int(k) for k in layers]
    atomic_write_text(index, json.dumps(data))


@dataclass(frozen=True)
class SweepConfig:
    """How a sweep runs: layers, Dask cluster, cache and the ``evaluate`` options.

    Attributes
    ----------
    layers : str, optional
        ``--layers`` for every model (``None``: each model's default embedding).
    scheduler : str, optional
        Address of a running Dask scheduler; default a ``LocalCluster`` of ``workers``.
    workers, processes : int, bool
        Local cluster size, and worker processes (True) or threads.
    cache, quick, seed, data, quiet
        As for ``hear-probes evaluate``.
    report : bool
        Write ``<out>/report.html`` at the end.
    probe_options : mapping
        ``{probe: {option: value}}`` as :attr:`~hear_probes.probes.registry.RunOptions.probe_options`
        (``--null-fits`` gives ``{"timbre": {"null_fits": N}}``, ``--no-figures``
        ``{"ranking": {"figures": False}}``); recorded in the done markers.
    batch_size : int, optional
        Items per ``get_scene_embeddings`` call (``--batch-size``; None: each probe's default).
    device : str, optional
        ``--device`` given to ``load_model`` (None: the adapter's default).
    """

    layers: str | None = None
    scheduler: str | None = None
    workers: int = 2
    processes: bool = True
    cache: Path | None = None
    quick: bool = False
    seed: int = 0
    data: Path | None = None
    quiet: bool = False
    report: bool = True
    probe_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    batch_size: int | None = None
    device: str | None = None


def sweep(models: list[str], probes: list[str], out: Path,
          config: SweepConfig | None = None) -> dict:
    """Run the (model, layer set, probe) grid on Dask and write one report.

    Parameters
    ----------
    models : list of str
        Built-in names, ``hf:<repo_id>[@rev]`` or ``module:<dotted HEAR module>``.
    probes : list of str
        Probe names (``ranking``, ``gear``, ``timbre``).
    out : Path
        Output folder (``<out>/<model>/layer-K/``, ``sweep.log``, ``report.html``).
    config : SweepConfig, optional
        Layers, cluster, cache and run options (default: :class:`SweepConfig()`).

    Returns
    -------
    dict
        ``{"ok": [...], "failed": {label: error}, "skipped": [...], "report": path or None}``.
    """
    cfg = config or SweepConfig()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [SweepTask(m, cfg.layers, p) for m in models for p in probes]
    todo = [t for t in tasks if not is_done(t, out, task_settings(t, cfg))]
    skipped = [t.label() for t in tasks if t not in todo]
    if skipped and not cfg.quiet:
        print(f"sweep: {len(skipped)} of {len(tasks)} task(s) already done, skipped", file=sys.stderr)
    summary: dict = {"ok": [], "failed": {}, "skipped": skipped, "report": None}
    if todo:
        from hear_probes.dask_client import dask_client

        with dask_client(cfg.scheduler, workers=cfg.workers, processes=cfg.processes,
                         timeout=10, needed_by="hear-probes sweep") as client:
            with client.as_current():
                _run_grid(client, todo, out, cfg, summary, len(tasks) - len(todo))
    if cfg.report:
        summary["report"] = _report(out)
    atomic_write_text(out / "sweep.json", json.dumps({
        **summary, "tasks": [asdict(t) for t in tasks],
        "settings": {"quick": cfg.quick, "seed": cfg.seed, "layers": cfg.layers,
                     "probe_options": {k: dict(v) for k, v in cfg.probe_options.items()},
                     "batch_size": cfg.batch_size, "device": cfg.device}}, indent=1))
    return summary


def _run_grid(client, todo: list[SweepTask], out: Path, cfg: SweepConfig, summary: dict,
              n_skipped: int) -> None:
    """Submit the tasks to ``client``; log and record each as it finishes (into ``summary``)."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    log = out / "sweep.log"
    futures = {client.submit(run_task, t, str(out), cfg, pure=False): t for t in todo}
    bar = tqdm(total=len(todo) + n_skipped, initial=n_skipped, desc="sweep", unit="task",
               disable=cfg.quiet)
    for fut in as_completed(futures):
        task = futures.pop(fut)
        try:
            res = fut.result()
        except Exception as exc:  # noqa: BLE001 - a worker died: log it, go on
            res = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": ""}
        # forget the result on the cluster: a worker that dies later would otherwise make the
        # scheduler run the finished task again to recover a result nobody needs
        fut.release()
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with log.open("a") as fh:
            if res["status"] == "ok":
                fh.write(f"{stamp} ok {task.label()} ({res['seconds']:.1f} s)\n")
            else:
                fh.write(f"{stamp} FAILED {task.label()}: {res['error']}\n{res.get('traceback', '')}\n")
        if res["status"] == "ok":
            summary["ok"].append(task.label())
            _record_layers(task, out, res["all_layers"])
        else:
            summary["failed"][task.label()] = res["error"]
            bar.write(f"sweep: task {task.label()} failed: {res['error']}", file=sys.stderr)
        bar.update(1)
    bar.close()


def _report(out: Path) -> str | None:
    from hear_probes.probes.registry import probes
    from hear_probes.report import write_report

    folders = sorted({p.parent for probe in probes().values() for p in out.rglob(probe.filename)})
    if not folders:
        return None
    return str(write_report(folders, out / "report.html"))
