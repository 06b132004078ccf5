"""The timbre probe's declaration in the probe registry (:mod:`hear_probes.probes.registry`)."""

from __future__ import annotations

from pathlib import Path

from hear_probes.errors import DatasetMissingError, ProbeSkipped
from hear_probes.probes.registry import Prerequisite, Probe, ReportSection, RunOptions
from hear_probes.probes.timbre import tables
from hear_probes.result_schema import TIMBRE


def run(loaded, store, out_dir: Path, options: RunOptions) -> dict:
    """Run the timbre probe with the ``evaluate`` options; the timbre.json payload.

    Raises
    ------
    ProbeSkipped
        When the timbre datasets are not there (``evaluate`` goes on without timbre).
    """
    from hear_probes.probes.timbre.run import run as run_timbre

    try:
        return run_timbre(loaded, store, out_dir, settings_for(options))
    except DatasetMissingError as exc:
        raise ProbeSkipped(str(exc)) from exc


def settings_for(options: RunOptions):
    """The :class:`~hear_probes.probes.timbre.settings.TimbreRun` of an ``evaluate`` run."""
    from hear_probes.probes.timbre.settings import TimbreRun, TimbreSettings, robustness_config
    from hear_probes.probes.timbre.uncertainty import UncertaintyConfig

    sweep = robustness_config(options.seed, options.quick) if options.robustness else None
    # --quick: no in-sample null (its refits dominate a quick run at thousands of dimensions)
    unc = UncertaintyConfig(seed=options.seed, n_null_fits=0 if options.quick else 200)
    return TimbreRun(settings=TimbreSettings(robustness=sweep, uncertainty=unc), data_dir=options.data,
                     datasets=options.datasets, quick=options.quick, seed=options.seed,
                     quiet=options.quiet, reference=options.reference)


def prerequisites(model_id: str, out_dir: Path, options: RunOptions) -> list[Prerequisite]:
    """The robustness reference to compute first (``evaluate --robustness``), if missing."""
    from hear_probes.probes.timbre.run import reference_prerequisite

    return reference_prerequisite(model_id, out_dir, settings_for(options))


def stimulus_sets(options: RunOptions) -> list:
    """One set per timbre study: ``options.datasets``, else those a run would use."""
    from hear_probes.probes.timbre.run import select_datasets
    from hear_probes.stimuli.timbre import find_timbre_dir, timbre_stimulus_sets

    root = find_timbre_dir(options.data)
    return timbre_stimulus_sets(root, select_datasets(root, options.datasets, options.quick))


PROBE = Probe(
    name="timbre",
    run=run,
    stimulus_sets=stimulus_sets,
    schema=TIMBRE,
    command="hear_probes.probes.timbre.command:command",
    prerequisites=prerequisites,
    report=ReportSection(
        title="Timbre",
        tables=tables.tables,
        extra=tables.robustness_heatmap,
        summary=tables.summary,
        layer_scores=tables.layer_scores,
        missing="timbre.json with per-study results",
        command="hear-probes probe timbre --model NAME --data DIR --out FOLDER",
        missing_note=" The timbre probe needs the 17 rating datasets ('hear-probes datasets fetch "
                     "timbre', or --data DIR); 'hear-probes evaluate' skips it when they are missing.",
    ),
)
