"""The time of each zoo model's full sweep, from a sweep's log and its result files.

``hear-probes sweep`` logs one line per finished (model, layer set, probe) task with its wall
time (``<out>/sweep.log``: ``<stamp> ok <model> [all] <probe> (<seconds> s)``). Its workers are
single-threaded processes (one CPU each), so a task's seconds are the time of one core. This
script keeps the last successful line of each task (a resumed sweep logs a task again only when
it reran), adds the per-layer timings the probes record in their JSON (embedding against
analysis), and writes per model:

* ``probe_s``: seconds of each probe's task (all layers);
* ``total_core_s``: their sum, the time of the model's sweep on one core;
* ``scoring_s``: per probe, the seconds the layer results record in ``provenance.timings_s``
  (each layer's ``total`` where it has one, else the sum of its parts: analysis, fits,
  gradients), summed over layers;
* ``embedding_s``: per probe, the rest of the task (``probe_s - scoring_s``): loading the
  model, making the stimuli and the forward passes that embed every layer at once, which the
  layer results do not time;
* ``layers``: the layer folders written so far, and ``layers_done`` how many each probe finished;
* ``layers_in_run``: per probe, how many of those layers the logged run computed (a layer
  result created before the run started comes from an earlier, interrupted sweep). When it is
  fewer than ``layers_done`` the task was resumed: its ``probe_s`` is null (the interrupted
  runs are not logged) and ``resumed_run_s`` holds the logged run's seconds. A layer result
  whose ``provenance.resumed`` says it resumed a checkpoint (the ranking probe's ``eps`` pass)
  marks its task resumed too: part of its work was done by an unlogged run.
* ``untimed``: per probe, why a logged time is not one core's (``--untimed MODEL:PROBE:REASON``,
  for a task known to have run otherwise, e.g. with more threads); its ``probe_s`` is null.

Usage::

    python benchmarks/zoo_sweep_times.py --sweep results/zoo --log /path/to/sweep.log \
        --out results/benchmarks/zoo-sweep.json

A task that the log does not list (run in an earlier sweep whose log was lost) is reported
with ``probe_s`` null, never a guessed number.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hear_probes.provenance import atomic_write_text, provenance  # noqa: E402

LINE = re.compile(r"^(?P<stamp>\S+) ok (?P<model>\S+) \[(?P<layers>[^\]]*)\] (?P<probe>\S+) "
                  r"\((?P<seconds>[0-9.]+) s\)$")
PROBES = ("timbre", "gear", "ranking")


def task_seconds(log: Path) -> dict[tuple[str, str], dict]:
    """``{(model, probe): {"seconds", "finished"}}``: the last ``ok`` line of each task."""
    out: dict[tuple[str, str], dict] = {}
    if not log.is_file():
        return out
    for line in log.read_text("utf-8").splitlines():
        m = LINE.match(line.strip())
        if m:
            out[(m["model"], m["probe"])] = {"seconds": float(m["seconds"]), "finished": m["stamp"]}
    return out


def layers_created_since(folder: Path, probe: str, start: datetime) -> int:
    """How many layer results of ``probe`` were created at or after ``start`` (one second slack).

    A result without ``provenance.created`` cannot be placed before the run and counts as in it.
    """
    n = 0
    for path in folder.glob(f"layer-*/{probe}.json"):
        created = (json.loads(path.read_text("utf-8")).get("provenance") or {}).get("created")
        if not created or datetime.fromisoformat(created) >= start - timedelta(seconds=1):
            n += 1
    return n


def resumed_mid_task(folder: Path, probe: str) -> bool:
    """Whether a layer result of ``probe`` records that its run resumed a checkpoint."""
    return any((json.loads(path.read_text("utf-8")).get("provenance") or {}).get("resumed")
               for path in folder.glob(f"layer-*/{probe}.json"))


def _run_start(task: dict) -> datetime:
    finished = datetime.fromisoformat(task["finished"].replace("Z", "+00:00"))
    return finished - timedelta(seconds=task["seconds"])


def scoring_seconds(folder: Path) -> dict[str, float]:
    """Per probe, the seconds its layer results record (each layer's total, else its parts)."""
    out = dict.fromkeys(PROBES, 0.0)
    for path in sorted(folder.glob("layer-*/*.json")):
        if path.stem not in PROBES:
            continue
        timings = (json.loads(path.read_text("utf-8")).get("provenance") or {}).get("timings_s") or {}
        out[path.stem] += float(timings["total"]) if "total" in timings else sum(map(float, timings.values()))
    return {k: round(v, 1) for k, v in out.items()}


def summarise(sweep_dir: Path, log: Path, untimed: dict[tuple[str, str], str] | None = None
              ) -> list[dict]:
    """One record per model folder of ``sweep_dir`` (see the module docstring)."""
    tasks = task_seconds(log)
    untimed = untimed or {}
    rows = []
    for folder in sorted(p for p in sweep_dir.iterdir() if p.is_dir()):
        model = folder.name
        layers = sorted(folder.glob("layer-*"), key=lambda p: int(p.name.split("-")[1]))
        done = {probe: sum((p / f".done-{probe}").is_file() for p in layers) for probe in PROBES}
        in_run = {probe: layers_created_since(folder, probe, _run_start(tasks[(model, probe)]))
                  if (model, probe) in tasks else 0 for probe in PROBES}
        logged = {probe: (tasks.get((model, probe)) or {}).get("seconds") for probe in PROBES}
        resumed = {p: logged[p] is not None and (in_run[p] < done[p]
                                                 or resumed_mid_task(folder, p)) for p in PROBES}
        why = {p: untimed.get((model, p)) for p in PROBES}
        probe_s = {p: None if resumed[p] or why[p] else logged[p] for p in PROBES}
        known = [s for s in probe_s.values() if s is not None]
        scoring = scoring_seconds(folder)
        rows.append({
            "model": model, "layers": len(layers), "layers_done": done,
            "layers_in_run": in_run,
            "probe_s": probe_s,
            "resumed_run_s": {p: logged[p] if resumed[p] else None for p in PROBES},
            "untimed": {p: why[p] for p in PROBES if why[p]},
            "total_core_s": round(sum(known), 1) if len(known) == len(PROBES) else None,
            "scoring_s": scoring,
            "embedding_s": {p: None if probe_s[p] is None else round(probe_s[p] - scoring[p], 1)
                            for p in PROBES}})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", type=Path, default=Path("results/zoo"), help="the sweep's --out folder")
    ap.add_argument("--log", type=Path, default=None, help="its sweep.log (default: <sweep>/sweep.log)")
    ap.add_argument("--out", type=Path, default=Path("results/benchmarks/zoo-sweep.json"))
    ap.add_argument("--untimed", action="append", default=[], metavar="MODEL:PROBE:REASON",
                    help="a task whose logged time is not one core's (e.g. run with more threads)")
    args = ap.parse_args(argv)
    untimed = {}
    for spec in args.untimed:
        parts = spec.split(":", 2)
        if len(parts) != 3 or parts[1] not in PROBES or not parts[2].strip():
            print(f"--untimed {spec!r}: give MODEL:PROBE:REASON with PROBE one of "
                  f"{', '.join(PROBES)}", file=sys.stderr)
            return 2
        untimed[(parts[0], parts[1])] = parts[2].strip()
    if not args.sweep.is_dir():
        print(f"--sweep {args.sweep}: not a folder; give the --out folder of 'hear-probes sweep'",
              file=sys.stderr)
        return 2
    log = args.log or args.sweep / "sweep.log"
    rows = summarise(args.sweep, log, untimed)
    payload = {
        "benchmark": "zoo sweep time per model (seconds of one core; sweep workers are single-threaded)",
        "sweep": str(args.sweep), "log": str(log),
        "machine": {"cpu_count": __import__("os").cpu_count(),
                    "note": "two single-threaded sweep workers; other jobs may have shared the CPUs"},
        "results": rows,
        "provenance": provenance(),
    }
    atomic_write_text(args.out, json.dumps(payload, indent=1) + "\n")
    for r in rows:
        total = "n/a" if r["total_core_s"] is None else f"{r['total_core_s'] / 60:.1f} min"
        print(f"{r['model']:<18} {r['layers']:>2} layers  {total:>10}  "
              + "  ".join(f"{p} {('n/a' if s is None else f'{s:.0f} s')}" for p, s in r["probe_s"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
