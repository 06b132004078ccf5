"""The probe registry: every probe declared once, in the same shape.

A probe package ``hear_probes/probes/<name>/`` has one entry module, ``entry.py``, that
builds one :class:`Probe` named ``PROBE``: its name, its stimulus sets, how it runs on a
loaded model, the schema of its result file, its ``hear-probes probe <name>`` command and
its report section. The command line (``probe``, ``evaluate``, ``sweep``), the report
(loading, validation, sections, summary cards, layer curves) loop over :func:`probes`.

Adding a probe is one new package and one line in :data:`BUILTIN` (or one
:func:`register` call, e.g. from a test, or a ``hear_probes.probes`` entry point of an
installed package: :mod:`hear_probes.plugins`). Entry modules import only light
modules at import time (torch and friends are imported inside ``run``), so that the command
line starts quickly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hear_probes.errors import HearProbesError

if TYPE_CHECKING:  # pragma: no cover - types only
    from hear_probes.report.load import ModelResults
    from hear_probes.report.tables import Table
    from hear_probes.result_schema import ResultSchema
    from hear_probes.stimuli.base import StimulusSet

#: Entry modules of the built-in probes, in report order (one line per probe).
BUILTIN: tuple[str, ...] = (
    "hear_probes.probes.ranking.entry",
    "hear_probes.probes.gear.entry",
    "hear_probes.probes.timbre.entry",
)


@dataclass(frozen=True)
class RunOptions:
    """What ``hear-probes evaluate`` (and ``sweep``, ``embed``) passes to every probe, whole.

    The fields every probe understands; what only one probe understands goes in
    ``probe_options[<probe name>]``, which that probe turns into its own settings object
    (each probe's ``settings.py``) and checks there.

    Attributes
    ----------
    quick : bool
        Small stimulus sets and few trials.
    seed : int
        Seed of every random draw of the probe.
    quiet : bool
        No progress bars.
    data : Path, optional
        Folder of downloaded datasets (timbre).
    probe_options : mapping
        ``{probe name: {option: value}}``: options of one probe (e.g. ``{"timbre":
        {"robustness": True, "reference": "stft", "datasets": ("Grey1977",)}}``).
    load_model : callable, optional
        ``load_model(name) -> (loaded, store)``: how ``evaluate`` loads the models of a
        probe's :class:`Prerequisite` s (none: prerequisites are not computed).
    batch_size : int, optional
        Items per ``get_scene_embeddings`` call (``--batch-size``); ``None``: each probe's
        default.
    """

    quick: bool = False
    seed: int = 0
    quiet: bool = False
    data: Path | None = None
    probe_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    load_model: Callable[[str], tuple[Any, Any]] | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if self.batch_size is not None and self.batch_size < 1:
            raise HearProbesError(f"--batch-size {self.batch_size}: give a positive number of items")

    def for_probe(self, name: str) -> dict[str, Any]:
        """The options of probe ``name`` (a copy; empty when none were given)."""
        return dict(self.probe_options.get(name) or {})


@dataclass(frozen=True)
class Prerequisite:
    """Another model's result that a probe run needs first (timbre: its robustness reference).

    The probe declares it; the caller (``evaluate``, a probe command) loads ``model`` and
    calls ``run`` when ``<folder>/<result>`` is missing, so that no probe loads a model
    itself.

    Attributes
    ----------
    model : str
        Built-in model name.
    folder : Path
        Where its result goes.
    result : str
        The file that, when present in ``folder``, means nothing is to be done.
    run : callable
        ``run(loaded, store, folder) -> payload``.
    required : bool
        When computing it fails: True, the error stops the run; False, the probe goes on
        without it (and says so).
    """

    model: str
    folder: Path
    result: str
    run: Callable[[Any, Any, Path], dict]
    required: bool = True


#: ``prerequisites(model_id, out_dir, options) -> [Prerequisite, ...]``.
PrerequisitesFn = Callable[[str, Path, "RunOptions"], list[Prerequisite]]


def _no_prerequisites(model_id: str, out_dir: Path, options: RunOptions) -> list[Prerequisite]:
    return []


#: ``run(loaded, store, out_dir, options) -> payload`` (the dict written to ``<name>.json``).
RunFn = Callable[[Any, Any, Path, RunOptions], dict]
#: ``stimulus_sets(options) -> [StimulusSet, ...]``: what a default run embeds.
StimuliFn = Callable[[RunOptions], list["StimulusSet"]]
#: Tables of a report section, from every loaded result folder (None: no data).
TablesFn = Callable[[list["ModelResults"]], list["Table | None"]]
#: Extra HTML and Markdown of a section: ``(results, images, output) -> (html, md)``.
ExtraFn = Callable[[list["ModelResults"], str, "Path | None"], tuple[str, str]]
#: ``(label, value, explanation)`` triples of one result folder's summary card.
SummaryFn = Callable[["ModelResults"], list[tuple[str, str, str]]]
#: ``rows(payload) -> [row, ...]``: a payload in the tidy results table (:mod:`hear_probes.tidy`).
RowsFn = Callable[[dict], list[dict]]
#: Scores of one payload plotted against layer depth (``--layers`` results).
LayerScoresFn = Callable[[dict], dict[str, "float | None"]]


def _no_tables(results: list[ModelResults]) -> list[Table | None]:
    return []


def _no_extra(results: list[ModelResults], images: str, output: Path | None) -> tuple[str, str]:
    return "", ""


def _no_summary(res: ModelResults) -> list[tuple[str, str, str]]:
    return []


def _no_layer_scores(payload: dict) -> dict[str, float | None]:
    return {}


@dataclass(frozen=True)
class ReportSection:
    """How a probe appears in the report.

    Attributes
    ----------
    title : str
        Section heading.
    label : str
        Short name in running text and the navigation bar (default: the probe's name),
        e.g. "GEAR" in "No GEAR results given.".
    tables : callable
        ``tables(results) -> [Table | None, ...]`` (:mod:`hear_probes.report.tables`).
    extra : callable
        ``extra(results, images, output) -> (html, md)``: figures across models, links.
    summary : callable
        ``summary(result) -> [(label, value, why), ...]`` for the summary cards.
    layer_scores : callable
        ``layer_scores(payload) -> {score: value}`` plotted against layer depth.
    missing : str
        What the section says is missing when no folder holds the probe's file, e.g.
        "timbre.json with per-study results".
    command : str
        The command that writes the file (shown when it is missing).
    missing_note : str
        An extra sentence for the missing case (e.g. which data the probe needs).
    card_note : str
        How to read the probe's numbers on the summary cards (joined into the cards' legend).
    layer_note : str
        How to read the probe's scores in the scores-by-layer table (joined into its note).
    """

    title: str
    label: str = ""
    tables: TablesFn = _no_tables
    extra: ExtraFn = _no_extra
    summary: SummaryFn = _no_summary
    layer_scores: LayerScoresFn = _no_layer_scores
    missing: str = ""
    command: str = ""
    missing_note: str = ""
    card_note: str = ""
    layer_note: str = ""


@dataclass(frozen=True)
class Probe:
    """One probe, declared once.

    Attributes
    ----------
    name : str
        Probe name: the ``hear-probes probe <name>`` command, ``<name>.json``, the figures'
        prefix ``<name>*.png`` and the report anchor.
    stimulus_sets : callable, optional
        ``stimulus_sets(options) -> [StimulusSet, ...]``: the sets a run with these options
        embeds (:mod:`hear_probes.stimuli.base`); ``hear-probes embed --stimuli <name>``
        embeds them.
    run : callable
        ``run(loaded, store, out_dir, options: RunOptions) -> payload``; writes
        ``<out_dir>/<name>.json`` (and CSV/PNG). Raises
        :class:`~hear_probes.errors.ProbeSkipped` when its data are missing.
    schema : ResultSchema, optional
        Schema of ``<name>.json`` (:mod:`hear_probes.result_schema`), checked by the report.
    command : str or callable, optional
        The typer command function of ``hear-probes probe <name>``, or its reference
        ``"package.module:function"`` (imported by the command line only, so that nothing
        below it imports typer; :meth:`command_function`).
    report : ReportSection
        Its report section.
    prerequisites : callable
        ``prerequisites(model_id, out_dir, options) -> [Prerequisite, ...]``: other models'
        results to compute first (default: none).
    stimuli : str
        One line: what the probe plays to the model (``hear-probes probes`` lists it).
    outputs : tuple of str
        The files a run writes in its output folder (``hear-probes probes`` lists them).
    needs_timestamps : bool
        Whether the probe uses ``get_timestamp_embeddings``; a scene-only module (one that
        defines only ``get_scene_embeddings``) runs every probe that does not.
    rows : callable, optional
        ``rows(payload) -> [dict, ...]``: the payload as rows of the tidy results table
        (:mod:`hear_probes.tidy`: ``results.csv`` and ``Results.to_pandas()``); a probe
        without it has no rows there.
    """

    name: str
    run: RunFn
    stimulus_sets: StimuliFn | None = None
    schema: ResultSchema | None = None
    command: str | Callable[..., None] | None = None
    report: ReportSection = field(default_factory=lambda: ReportSection(title=""))
    prerequisites: PrerequisitesFn = _no_prerequisites
    stimuli: str = ""
    outputs: tuple[str, ...] = ()
    needs_timestamps: bool = False
    rows: RowsFn | None = None

    def command_function(self) -> Callable[..., None] | None:
        """The command function (``command`` itself, or the function its reference names)."""
        if self.command is None or callable(self.command):
            return self.command
        module, _, name = self.command.partition(":")
        return getattr(importlib.import_module(module), name)

    @property
    def filename(self) -> str:
        """The result file, ``<name>.json``."""
        return f"{self.name}.json"

    @property
    def title(self) -> str:
        """Section title (the name when the report section gives none)."""
        return self.report.title or self.name

    @property
    def label(self) -> str:
        """Short name in running text (the name when the report section gives none)."""
        return self.report.label or self.name


_PROBES: dict[str, Probe] = {}
_loaded_builtins = False


def register(probe: Probe) -> Probe:
    """Add ``probe`` (or replace the one of the same name); returns it.

    Parameters
    ----------
    probe : Probe
        The declaration.
    """
    _load_builtins()
    _PROBES[probe.name] = probe
    return probe


def unregister(name: str) -> None:
    """Remove a probe (tests that register a toy probe clean up with this)."""
    _load_builtins()
    _PROBES.pop(name, None)


def _load_builtins() -> None:
    global _loaded_builtins
    if _loaded_builtins:
        return
    _loaded_builtins = True
    for module in BUILTIN:
        probe = importlib.import_module(module).PROBE
        _PROBES.setdefault(probe.name, probe)
    _load_plugins()


def _load_plugins() -> None:
    """Probes of the ``hear_probes.probes`` entry points (:mod:`hear_probes.plugins`), after
    the built-in ones; one that cannot be loaded, or whose name is taken, is skipped with a
    one-line warning."""
    from hear_probes.plugins import probe_entry_points, warn_plugin

    for ep in probe_entry_points():
        try:
            obj = ep.load()
            probe = getattr(obj, "PROBE", obj) if ":" not in ep.value else obj
        except Exception as exc:  # a third-party module: any failure skips it, in one line
            warn_plugin(ep, "probe", f"{type(exc).__name__}: {exc}")
            continue
        if not isinstance(probe, Probe):
            warn_plugin(ep, "probe", f"{type(probe).__name__} is not a hear_probes Probe")
        elif probe.name in _PROBES:
            warn_plugin(ep, "probe", f"probe name {probe.name!r} is already taken")
        else:
            _PROBES[probe.name] = probe


def probes() -> dict[str, Probe]:
    """Every registered probe by name, the built-in ones first, in report order."""
    _load_builtins()
    return dict(_PROBES)


def probe_names() -> tuple[str, ...]:
    """Names of the registered probes."""
    return tuple(probes())


def get_probe(name: str) -> Probe:
    """The probe called ``name``.

    Raises
    ------
    HearProbesError
        When no probe has that name (the message lists the known ones).
    """
    known = probes()
    if name not in known:
        raise HearProbesError(f"unknown probe {name!r}; choose from {', '.join(known)}")
    return known[name]


def parse_probe_names(text: str) -> list[str]:
    """Comma-separated probe names, checked against the registry.

    Raises
    ------
    HearProbesError
        When a name is unknown.
    """
    wanted = [p.strip() for p in text.split(",") if p.strip()]
    known = probes()
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise HearProbesError(f"unknown probe(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return wanted


def check_embeddings_available(probe: Probe, loaded: Any) -> None:
    """Raise a one-line error when ``probe`` needs timestamp embeddings that ``loaded`` lacks.

    Raises
    ------
    HearProbesError
        Naming the probe and the module, and what to do (add ``get_timestamp_embeddings``
        or leave the probe out).
    """
    if probe.needs_timestamps and not getattr(loaded, "has_timestamps", True):
        raise HearProbesError(
            f"probe {probe.name} needs timestamp embeddings, but {loaded.module_name} defines "
            f"only get_scene_embeddings (scene-only); add get_timestamp_embeddings to the "
            f"module or leave {probe.name} out (--probes)")
