"""The GEAR probe's declaration in the probe registry (:mod:`hear_probes.probes.registry`)."""

from __future__ import annotations

from pathlib import Path

from hear_probes.probes.gear import tables
from hear_probes.probes.gear.schema import SCHEMA
from hear_probes.probes.gear.settings import GearSettings
from hear_probes.probes.gear.tidy import rows
from hear_probes.probes.registry import Probe, ReportSection, RunOptions


def run(loaded, store, out_dir: Path, options: RunOptions) -> dict:
    """Run the GEAR probe with the ``evaluate`` options; the gear.json payload."""
    from hear_probes.probes.gear.run import run as run_gear

    return run_gear(loaded, store, out_dir, settings_for(options))


def settings_for(options: RunOptions) -> GearSettings:
    """The GEAR settings of an ``evaluate`` run (paper design; ``--quick``: 400 tones)."""
    size = {} if options.batch_size is None else {"batch_size": options.batch_size}
    return GearSettings(quick=options.quick, seed=options.seed, quiet=options.quiet, **size)


def stimulus_sets(options: RunOptions) -> list:
    """The tones of a default (or ``--quick``) GEAR run: one set per seed."""
    from hear_probes.probes.gear.run import gear_tones_for, seeds_of

    st = settings_for(options)
    out = []
    for seed in seeds_of(st):
        tones, set_name = gear_tones_for(st.variant, st.quick, seed, st.n_tones, st.notebook)
        out.append(tones.stimulus_set(set_name))
    return out


PROBE = Probe(
    name="gear",
    stimuli='synthetic harmonic tones on a grid of f1, spectral decay alpha and odd/even ratio r (Lostanlen et al. 2023), 5 seeds',
    outputs=('gear.json', 'gear_isomap.png', 'gear_knn.png', 'gear_isomap.html', 'gear_isomap.h5'),
    run=run,
    stimulus_sets=stimulus_sets,
    schema=SCHEMA,
    command="hear_probes.probes.gear.command:command",
    rows=rows,
    report=ReportSection(
        title="GEAR",
        label="GEAR",
        tables=tables.tables,
        extra=tables.interactive_links,
        summary=tables.summary,
        layer_scores=tables.layer_scores,
        missing="gear.json",
        command="hear-probes probe gear --model NAME --out FOLDER",
        card_note=("f1/alpha/r: GEAR kNN R² (1 = fully recoverable)"),
        layer_note="GEAR: kNN R² (K=10)",
    ),
)
