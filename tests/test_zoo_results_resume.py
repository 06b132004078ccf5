"""The committed zoo results (results/zoo) resume: their done markers match the sweep line of
results/regenerate.sh, so rerunning it from a clone skips every finished layer."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _sweep_args() -> list[str]:
    for line in (ROOT / "results" / "regenerate.sh").read_text().splitlines():
        if line.startswith("hear-probes sweep ") and "results/zoo" in line:
            return shlex.split(line)
    raise AssertionError("results/regenerate.sh has no 'hear-probes sweep ... --out results/zoo' line")


def test_committed_zoo_markers_match_the_regenerate_sweep_line():
    from hear_probes.sweep import SweepConfig, SweepTask, task_settings

    args = _sweep_args()
    options: dict = {}
    if "--null-fits" in args:
        options["timbre"] = {"null_fits": int(args[args.index("--null-fits") + 1])}
    if "--no-figures" in args:
        options["ranking"] = {"figures": False}
    cfg = SweepConfig(layers=args[args.index("--layers") + 1], probe_options=options,
                      seed=int(args[args.index("--seed") + 1]) if "--seed" in args else 0)
    models = args[args.index("--models") + 1].split(",")
    markers = sorted((ROOT / "results" / "zoo").glob("*/layer-*/.done-*"))
    assert markers, "no committed zoo results"
    for marker in markers:
        data = json.loads(marker.read_text())
        probe = marker.name.removeprefix(".done-")
        assert data["model"] in models, marker
        assert data["settings"] == task_settings(SweepTask(data["model"], cfg.layers, probe), cfg), marker
        assert (marker.parent / f"{probe}.json").is_file(), f"{marker}: marked done without its result"
