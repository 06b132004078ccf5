"""The timbre probe's declaration in the probe registry (:mod:`hear_probes.probes.registry`)."""

from __future__ import annotations

from pathlib import Path

from hear_probes.errors import DatasetMissingError, HearProbesError, ProbeSkipped
from hear_probes.probes.registry import Prerequisite, Probe, ReportSection, RunOptions
from hear_probes.probes.timbre import tables
from hear_probes.probes.timbre.schema import SCHEMA
from hear_probes.probes.timbre.tidy import rows

#: Options of ``RunOptions.probe_options["timbre"]``: the robustness sweep, its reference model,
#: the studies to run, and the refits of the in-sample null per study (None: the default).
OPTIONS = ("robustness", "reference", "datasets", "null_fits")


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
    from hear_probes.probes.timbre.settings import (
        TimbreRun,
        TimbreSettings,
        robustness_config,
        uncertainty_config,
    )

    extra = options.for_probe("timbre")  # robustness, reference, datasets, null_fits
    unknown = sorted(set(extra) - set(OPTIONS))
    if unknown:
        raise HearProbesError(f"unknown timbre option(s): {', '.join(unknown)}; known: "
                              f"{', '.join(OPTIONS)}")
    null_fits = extra.get("null_fits")
    if null_fits is not None and (not isinstance(null_fits, int) or null_fits < 0):
        raise HearProbesError(f"timbre option null_fits={null_fits!r}: give a whole number >= 0 "
                              "(refits of the in-sample null per study; 0 for none)")
    sweep = robustness_config(options.seed, options.quick) if extra.get("robustness") else None
    unc = uncertainty_config(options.seed, options.quick, n_null_fits=null_fits)
    return TimbreRun(settings=TimbreSettings(robustness=sweep, uncertainty=unc), data_dir=options.data,
                     datasets=extra.get("datasets"), quick=options.quick, seed=options.seed,
                     quiet=options.quiet, reference=extra.get("reference"),
                     **({} if options.batch_size is None else {"batch_size": options.batch_size}))


def prerequisites(model_id: str, out_dir: Path, options: RunOptions) -> list[Prerequisite]:
    """The robustness reference to compute first (``evaluate --robustness``), if missing."""
    from hear_probes.probes.timbre.run import reference_prerequisite

    return reference_prerequisite(model_id, out_dir, settings_for(options))


def stimulus_sets(options: RunOptions) -> list:
    """One set per timbre study: the ``datasets`` option, else those a run would use."""
    from hear_probes.probes.timbre.run import select_datasets
    from hear_probes.stimuli.timbre import find_timbre_dir, timbre_stimulus_sets

    root = find_timbre_dir(options.data)
    return timbre_stimulus_sets(root, select_datasets(root, options.for_probe("timbre").get("datasets"), options.quick))


PROBE = Probe(
    name="timbre",
    stimuli="the sounds of 21 timbre dissimilarity studies with their human ratings ('hear-probes datasets fetch timbre')",
    outputs=('timbre.json', 'timbre.csv', 'timbre_pairs.h5', 'timbre_weights.h5', 'timbre_explained_variance.png', 'timbre_robustness.png'),
    run=run,
    stimulus_sets=stimulus_sets,
    schema=SCHEMA,
    command="hear_probes.probes.timbre.command:command",
    rows=rows,
    prerequisites=prerequisites,
    report=ReportSection(
        title="Timbre",
        tables=tables.tables,
        extra=tables.robustness_heatmap,
        summary=tables.summary,
        layer_scores=tables.layer_scores,
        missing="timbre.json with per-study results",
        command="hear-probes probe timbre --model NAME --data DIR --out FOLDER",
        card_note=("timbre: median explained variance, nothing fitted (unlearned), learned and held out, and "
                  "learned in-sample (an upper bound, not a score)"),
        layer_note="timbre: median signed explained variance over the studies (0 = chance)",
        missing_note=" The timbre probe needs the 17 rating datasets ('hear-probes datasets fetch "
                     "timbre', or --data DIR); 'hear-probes evaluate' skips it when they are missing.",
    ),
)
