"""The ranking probe's declaration in the probe registry (:mod:`hear_probes.probes.registry`)."""

from __future__ import annotations

from pathlib import Path

from hear_probes.probes.ranking import tables
from hear_probes.probes.ranking.command import command
from hear_probes.probes.registry import Probe, ReportSection, RunOptions
from hear_probes.result_schema import RANKING


def run(loaded, store, out_dir: Path, options: RunOptions) -> dict:
    """Run the ranking probe with the ``evaluate`` options; the ranking.json payload."""
    from hear_probes.probes.ranking.probe import evaluate

    return evaluate(loaded, store, out_dir, quick=options.quick, seed=options.seed,
                    quiet=options.quiet)


def stimulus_sets(options: RunOptions) -> list:
    """The sines of a default (or ``--quick``) ranking run."""
    from hear_probes.probes.ranking.probe import QUICK_TRIALS, default_stimulus_sets

    if options.quick:
        return default_stimulus_sets(QUICK_TRIALS, options.seed, 0.5)
    return default_stimulus_sets(seed=options.seed)


PROBE = Probe(
    name="ranking",
    run=run,
    stimulus_sets=stimulus_sets,
    schema=RANKING,
    command=command,
    report=ReportSection(
        title="Pitch and level ranking",
        tables=tables.tables,
        summary=tables.summary,
        layer_scores=tables.layer_scores,
        missing="ranking.json",
        command="hear-probes probe ranking --model NAME --out FOLDER",
    ),
)
