"""Benchmark of the ranking probe: the full Table 1 (1000 trials x 6 columns) for the seven
spectral distances of Turian & Henry (2020) plus the three SOT variants.

Usage::

    PYTHONPATH=. python benchmarks/bench_ranking.py [--trials 1000] [--batch-size 10]
        [--distances all] [--per-distance] [--json out.json]

Prints wall time (total and, with ``--per-distance``, for each distance run alone), the machine's
load average before/after, and the measured table next to the published one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch

from hear_probes.probes.ranking.catalogue import DISPLAY_NAMES, get_distance, parse_distance_names
from hear_probes.probes.ranking.run import PUBLISHED
from hear_probes.probes.ranking.spectral import score_distances
from hear_probes.stimuli.sines import sample_trials

COLS = [("pitch", "eps"), ("pitch", "fine"), ("pitch", "coarse"),
        ("level", "eps"), ("level", "fine"), ("level", "coarse")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=10)
    ap.add_argument("--distances", default="all")
    ap.add_argument("--per-distance", action="store_true", help="also time each distance alone")
    ap.add_argument("--json", default=None, help="write timings and accuracies here")
    args = ap.parse_args()

    names = parse_distance_names(args.distances)
    trials = sample_trials(args.trials, seed=args.seed)
    info = {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(), "load_before": os.getloadavg()}
    t0 = time.perf_counter()
    res = score_distances([get_distance(n) for n in names], trials, duration=args.duration,
                          batch_size=args.batch_size)
    total = time.perf_counter() - t0
    info["load_after"] = os.getloadavg()
    per: dict[str, float] = {}
    if args.per_distance:
        for n in names:
            t1 = time.perf_counter()
            score_distances([get_distance(n)], trials, duration=args.duration,
                            batch_size=args.batch_size)
            per[n] = time.perf_counter() - t1

    print(f"{args.trials} trials x 6 columns, {len(names)} distances, "
          f"{args.duration:g} s stimuli, batch {args.batch_size}: {total:.1f} s wall")
    print(f"load average before {info['load_before']}, after {info['load_after']}")
    header = "distance".ljust(26) + "".join(f"{d[:1]}-{s:<7}" for d, s in COLS)
    print(header)
    table = {}
    for n in names:
        acc = {f"{d}.{s}": float(res[n][d][s].mean()) for d, s in COLS}
        acc.update({f"ties.{d}.{s}": int((res[n][d][s] == 0.5).sum()) for d, s in COLS})
        table[n] = acc
        pub = PUBLISHED.get(n, {})
        cells = []
        for d, s in COLS:
            p = pub.get(d, {}).get(s)
            cells.append(f"{acc[f'{d}.{s}']:.3f}" + (f"({p:.3f})" if p is not None else ""))
        print(DISPLAY_NAMES[n].ljust(26) + " ".join(c.ljust(13) for c in cells)
              + (f"  [{per[n]:.1f} s alone]" if n in per else ""))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"total_s": total, "per_distance_s": per, "machine": info,
                       "trials": args.trials, "seed": args.seed, "accuracy": table}, fh, indent=2)


if __name__ == "__main__":
    main()
