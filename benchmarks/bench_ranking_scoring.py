"""Time the scoring added by issue 21 on 1000 trials: intervals, |Δpitch| bins, tie sweep.

Usage::

    PYTHONPATH=. python benchmarks/bench_ranking_scoring.py [--trials 1000] [--distances 11]

Synthetic raw distances (no audio): measures ``cell_results`` (Wilson intervals, binomial
p-values), ``accuracy_by_interval`` and ``tie_sensitivity`` (6 tolerances + strict) per
representation, i.e. what a run adds after its distances are computed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hear_probes.probes.ranking.intervals import accuracy_by_interval, pitch_interval_semitones
from hear_probes.probes.ranking.run import cell_results
from hear_probes.probes.ranking.sensitivity import tie_sensitivity
from hear_probes.probes.ranking.spectral import scores_from_raw
from hear_probes.probes.ranking.trials import away_directions
from hear_probes.stimuli.sines import sample_trials


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--distances", type=int, default=11)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    trials = sample_trials(args.trials, seed=0)
    away = away_directions(trials)
    n = args.trials
    roles = ["prediction", "pitch-fine", "pitch-coarse", "level-fine", "level-coarse"]
    t0 = time.perf_counter()
    for _ in range(args.distances):
        d = {r: rng.random(n) for r in roles}
        raw = {"_distances": d, "_magnitudes": {r: np.full(n, 2.0) for r in roles},
               "_gradients": {"pitch": rng.standard_normal(n), "level": rng.standard_normal(n)}}
        scores = scores_from_raw(raw, away)
        cell_results(scores, 0)
        accuracy_by_interval(scores, pitch_interval_semitones(trials))
        tie_sensitivity(lambda rule, raw=raw: scores_from_raw(raw, away, rule=rule))
    dt = time.perf_counter() - t0
    print(f"{args.distances} representations x {n} trials: {dt:.3f} s "
          f"({1000 * dt / args.distances:.1f} ms each)")


if __name__ == "__main__":
    main()
