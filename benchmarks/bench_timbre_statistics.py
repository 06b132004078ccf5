"""Cost of the timbre intervals and chance levels (issue 21), in wall and CPU seconds.

Usage::

    PYTHONPATH=. python benchmarks/bench_timbre_statistics.py --pairs results/stft/timbre_pairs.h5 \\
        [--model stft --data ../shared/data/timbre] [--json out.json]

1. Bootstrap over sounds and Mantel permutations of every score family of every study, with
   the predictions of a committed ``timbre_pairs.h5`` (1000 resamples, 1000 permutations;
   raw distances: signed EV, r, Spearman, Kendall, triplets; learned predictions: EV, r), in
   this process (one core).
2. With ``--model``: the in-sample null of every study (the exact optimum refitted on
   ``--null-fits`` sound-permuted rating vectors), in this process (one core): its CPU time,
   divided by the worker count, is its wall time on an idle machine (the blocks run in
   parallel processes in the probe).

CPU time is measured with ``time.process_time`` so that a loaded machine does not inflate it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def fixed_prediction_statistics(pairs: Path) -> dict:
    """Section 1."""
    from hear_probes.probes.timbre.pairs_file import read_pairs
    from hear_probes.probes.timbre.uncertainty import (
        LEARNED_SCORES,
        RAW_SCORES,
        StudyResampling,
        UncertaintyConfig,
        resample_scores,
    )

    _, studies = read_pairs(pairs)
    cfg = UncertaintyConfig()
    per: dict[str, float] = {}
    w0, c0 = time.perf_counter(), time.process_time()
    for name, sp in studies.items():
        c = time.process_time()
        rs = StudyResampling.draw(name, sp.n_sounds, cfg)
        for pred_name, pred in sp.predictors.items():
            scores = RAW_SCORES if pred_name in ("euclidean", "cosine") else LEARNED_SCORES
            resample_scores(pred, sp.rating, rs, scores)
        per[name] = round(time.process_time() - c, 3)
    return {"studies": len(studies), "predictors": sorted({p for s in studies.values() for p in s.predictors}),
            "n_bootstrap": cfg.n_bootstrap, "n_permutations": cfg.n_permutations,
            "wall_seconds": round(time.perf_counter() - w0, 2),
            "cpu_seconds": round(time.process_time() - c0, 2), "cpu_seconds_per_study": per}


def in_sample_null(model: str, data: Path, n_null_fits: int) -> dict:
    """Section 2."""
    from hear_probes.probes.timbre.run import model_studies
    from hear_probes.probes.timbre.settings import TimbreRun
    from hear_probes.probes.timbre.uncertainty import UncertaintyConfig, null_tasks, run_null_task
    from hear_probes.views import open_store, resolve_loaded

    loaded = resolve_loaded(model, None, None)
    studies, _ = model_studies(loaded, open_store(loaded, None), TimbreRun(data_dir=data, quiet=True))
    cfg = UncertaintyConfig(n_null_fits=n_null_fits)
    tasks = [t for s in studies for t in null_tasks(s.name, s.features, s.active, s.ratings, cfg)]
    w0, c0 = time.perf_counter(), time.process_time()
    for t in tasks:
        run_null_task(t)
    cpu = time.process_time() - c0
    return {"model": model, "dim": studies[0].dim, "fits": n_null_fits * len(studies),
            "wall_seconds_one_process": round(time.perf_counter() - w0, 2),
            "cpu_seconds": round(cpu, 2), "cpu_ms_per_fit": round(1000 * cpu / (n_null_fits * len(studies)), 2)}


def main() -> None:
    """Run the sections asked for and print / write the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/timbre"))
    ap.add_argument("--null-fits", type=int, default=200)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    out = {"fixed_predictions": fixed_prediction_statistics(args.pairs)}
    print(json.dumps(out["fixed_predictions"], indent=1), flush=True)
    if args.model:
        out["in_sample_null"] = in_sample_null(args.model, args.data, args.null_fits)
        print(json.dumps(out["in_sample_null"], indent=1), flush=True)
    load = np.loadtxt("/proc/loadavg", usecols=0) if Path("/proc/loadavg").is_file() else None
    out["load_average_1min"] = None if load is None else float(load)
    if args.json:
        from hear_probes.provenance import provenance, write_json

        write_json(args.json, {**out, "provenance": provenance()})


if __name__ == "__main__":
    main()
