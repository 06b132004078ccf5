"""Ablation of the STFT conventions of the Table 1 distances: magnitude power and frame centring.

Usage::

    PYTHONPATH=. python benchmarks/ranking_ablations.py [--trials 1000] [--seed 0]
        [--distances spectrogram,log-spectrogram,mss,log-mss,mel,mfcc,log2-centroid]
        [--eps] [--json out.json]

For every listed catalogue distance, scores the four combinations power in {1, 2} (``|X|`` or
``|X|^2``) x frames centred (reflect padding) or not, on the same trials, one change at a
time from the catalogue's own settings, and prints fine / coarse columns (and the eps columns
with ``--eps``) next to Turian & Henry's Table 1. Ties are left out of the accuracy (see
``accuracy.TIE_RTOL``); tie counts are printed where there are any.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

from hear_probes.probes.ranking.accuracy import summarise
from hear_probes.probes.ranking.catalogue import get_distance, parse_distance_names
from hear_probes.probes.ranking.run import PUBLISHED
from hear_probes.probes.ranking.spectral import score_distances
from hear_probes.stimuli.sines import sample_trials

COLS = [("pitch", "fine"), ("pitch", "coarse"), ("level", "fine"), ("level", "coarse")]
EPS_COLS = [("pitch", "eps"), ("level", "eps")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--distances", default="spectrogram,log-spectrogram,mss,log-mss")
    ap.add_argument("--eps", action="store_true", help="also the eps (gradient) columns")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    trials = sample_trials(args.trials, seed=args.seed)
    variants = []
    for name in parse_distance_names(args.distances):
        base = get_distance(name)
        for power in (1.0, 2.0):
            for center in (True, False):
                v = dataclasses.replace(base, power=power, center=center,
                                        name=f"{name}|p{power:g}|{'c' if center else 'nc'}")
                variants.append((name, power, center, v))
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    res = score_distances([v for *_, v in variants], trials, duration=args.duration,
                          gradients=args.eps)
    wall = time.perf_counter() - t0
    cols = (EPS_COLS if args.eps else []) + COLS
    print(f"{args.trials} trials, seed {args.seed}, {args.duration:g} s: {wall:.0f} s wall, "
          f"load {load0} -> {os.getloadavg()}")
    print("distance".ljust(18) + "power centred " + "".join(f"{d[0]}-{s:<13}" for d, s in cols))
    table = {}
    for name, power, center, v in variants:
        cells, row = [], {}
        for d, s in cols:
            summ = summarise(res[v.name][d][s])
            row[f"{d}.{s}"] = {k: summ[k] for k in ("accuracy", "n_ties")}
            pub = PUBLISHED.get(name, {}).get(d, {}).get(s)
            cell = f"{summ['accuracy']:.3f}"
            if pub is not None:
                cell += f"({pub:.3f}){'*' if abs(summ['accuracy'] - pub) > 0.05 else ''}"
            if summ["n_ties"]:
                cell += f"t{summ['n_ties']}"
            cells.append(cell.ljust(15))
        table[v.name] = row
        print(name.ljust(18) + f"{power:<6g}{'yes' if center else 'no':<8}" + "".join(cells))
    print("* = more than 0.05 from the published cell; tN = N ties (left out)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"trials": args.trials, "seed": args.seed, "wall_s": wall,
                       "load": [load0, os.getloadavg()], "table": table}, fh, indent=2)


if __name__ == "__main__":
    main()
