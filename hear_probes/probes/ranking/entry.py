"""The ranking probe's declaration in the probe registry (:mod:`hear_probes.probes.registry`)."""

from __future__ import annotations

from pathlib import Path

from hear_probes.errors import HearProbesError
from hear_probes.probes.ranking import tables
from hear_probes.probes.ranking.schema import SCHEMA
from hear_probes.probes.ranking.settings import RankingSettings
from hear_probes.probes.ranking.tidy import rows
from hear_probes.probes.registry import Probe, ReportSection, RunOptions


def run(loaded, store, out_dir: Path, options: RunOptions) -> dict:
    """Run the ranking probe with the ``evaluate`` options; the ranking.json payload."""
    from hear_probes.probes.ranking.run import run as run_ranking

    return run_ranking(loaded, store, out_dir, settings_for(options))


#: Options of ``RunOptions.probe_options["ranking"]``: ``figures`` (False: no distance curves
#: and heat map, which embed about 1,100 extra one-second sounds per model).
OPTIONS = ("figures",)


def settings_for(options: RunOptions) -> RankingSettings:
    """The ranking settings of an ``evaluate`` run (``--quick``: few trials, short stimuli)."""
    extra = options.for_probe("ranking")
    unknown = sorted(set(extra) - set(OPTIONS))
    if unknown:
        raise HearProbesError(f"unknown ranking option(s): {', '.join(unknown)}; known: "
                              f"{', '.join(OPTIONS)}")
    given = {} if options.batch_size is None else {"batch_size": options.batch_size}
    if extra.get("figures") is not None:
        given["figures"] = bool(extra["figures"])
    return RankingSettings.for_run("module", options.quick, seed=options.seed, quiet=options.quiet,
                                   **given)


def stimulus_sets(options: RunOptions) -> list:
    """The sines of a default (or ``--quick``) ranking run."""
    from hear_probes.probes.ranking.run import default_stimulus_sets

    st = settings_for(options)
    return default_stimulus_sets(st.n_trials, st.seed, st.duration)


PROBE = Probe(
    name="ranking",
    stimuli='sines (and harmonic tones) whose pitch or level moves away from a reference: fine, coarse and infinitesimal (gradient) steps',
    outputs=('ranking.json', 'ranking.csv', 'ranking_pitch_curves.png', 'ranking_pitch_curves_zoom.png', 'ranking_heatmap.png'),
    run=run,
    stimulus_sets=stimulus_sets,
    schema=SCHEMA,
    command="hear_probes.probes.ranking.command:command",
    rows=rows,
    report=ReportSection(
        title="Pitch and level ranking",
        tables=tables.tables,
        summary=tables.summary,
        layer_scores=tables.layer_scores,
        missing="ranking.json",
        command="hear-probes probe ranking --model NAME --out FOLDER",
        card_note=("pitch/level: ranking accuracy at the fine scale (0.5 = chance)"),
        layer_note="Ranking: fine-scale accuracy (0.5 = chance)",
    ),
)
