"""Benchmark of the timbre probe's metric learning (speed and accuracy).

Usage::

    PYTHONPATH=. python benchmarks/bench_timbre.py [--data ../shared/data/timbre]
        [--robustness] [--workers 2] [--json out.json]

Measures, on the project's ``stft`` representation (``hear_probes_adapters.stft``):

1. one Grey1977 fit (513 dims) with the default options (= the paper's; L-BFGS-B driven
   directly), the same through ``scipy.optimize.minimize``, loose tolerances (1e-9) and
   ``init="exact"``;
2. the 17-study table (full fits only, local worker processes), with, per study, the gap of
   the loose-tolerance EV to the default EV, and of the default EV to the exact optimum;
3. with ``--robustness``: the full robustness sweep of one representation
   (17 studies x 9 levels x 5 realisations = 765 fits);
4. one fit of a synthetic 10,000-dim representation on a 20-sound study.

Targets (issue): 1 <= 0.5 s; 2 <= 15 s; 3 <= 5 min with 2 workers; 4 <= 30 s; EV within 0.005
of the full-precision optimum.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from hear_probes.probes.timbre.metric import (
    FitOptions,
    fit_metric,
    max_explained_variance,
    pair_differences,
)
from hear_probes.probes.timbre.parallel import run_tasks
from hear_probes.probes.timbre.probe import TimbreSettings, load_studies
from hear_probes.probes.timbre.robustness import RobustnessConfig, robustness_tasks
from hear_probes.probes.timbre.tasks import FitTask

#: Compared settings: the default (= the paper's: warm start, tolerances 1e-36, 1e4 iterations),
#: loose tolerances, and the exact optimum as starting point.
CONFIGS = [
    ("default", FitOptions()),
    ("default_via_scipy_minimize", FitOptions(driver="scipy")),
    ("loose_1e-9", FitOptions(ftol=1e-9, gtol=1e-9)),
    ("exact", FitOptions(init="exact")),
]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "timbre"


def stft_embeddings(data_dir: Path) -> dict[str, np.ndarray]:
    """Scene embeddings of every study with the project's stft adapter (no cache)."""
    from hear_probes.audio import load_audio
    from hear_probes.hear_module import load_hear_module
    from hear_probes.stimuli.timbre import list_timbre_datasets, load_timbre_dataset

    loaded = load_hear_module(name="stft")
    out = {}
    for name in list_timbre_datasets(data_dir):
        ds = load_timbre_dataset(data_dir, name)
        out[name] = np.concatenate(
            [loaded.scene_embeddings(load_audio(p, loaded.sample_rate)[None, :])
             for p in ds.sound_paths]
        )
    return out


def timed_fit(D, s, options: FitOptions, repeat: int = 3) -> tuple[float, float, int]:
    """Best-of-``repeat`` wall time, EV and iterations of one fit."""
    best, res = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        res = fit_metric(D, s, options)
        best = min(best, time.perf_counter() - t)
    return best, res.explained_variance, res.n_iter


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--robustness", action="store_true", help="also time the 765-fit sweep")
    ap.add_argument("--sweep-scipy", action="store_true",
                    help="also time the sweep through scipy.optimize.minimize (slow)")
    ap.add_argument("--feature-norm", default="none", choices=["none", "max"])
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args()
    report: dict = {}

    emb = stft_embeddings(args.data)
    settings = TimbreSettings(feature_norm=args.feature_norm, workers=args.workers)
    studies = load_studies(args.data, list(emb), lambda ds: emb[ds.name], settings)
    by_name = {s.name: s for s in studies}

    # 1. one Grey1977 fit
    g = by_name["Grey1977"]
    D = pair_differences(g.features)
    one = {}
    for label, opts in CONFIGS:
        t, ev, nit = timed_fit(D, g.ratings, opts)
        one[label] = {"seconds": round(t, 4), "ev": round(ev, 4), "n_iter": nit}
    one["exact_optimum_ev"] = round(max_explained_variance(D, g.ratings), 4)
    report["grey1977_fit"] = one
    print("Grey1977 (513 dims):", json.dumps(one))

    # 2. the 17-study table
    table = {}
    for label, opts in CONFIGS:
        tasks = [FitTask(("full", s.name), s.features, s.active, s.ratings, s.ratings, opts)
                 for s in studies]
        t = time.perf_counter()
        outs = run_tasks(tasks, workers=args.workers, quiet=True)
        table[label] = {"seconds": round(time.perf_counter() - t, 3),
                        "ev": {o.key[1]: round(o.pearson_train**2, 4) for o in outs}}
    exact_opt = {s.name: max_explained_variance(pair_differences(s.features), s.ratings)
                 for s in studies}
    gap_paper = {n: table["loose_1e-9"]["ev"][n] - table["default"]["ev"][n] for n in exact_opt}
    gap_opt = {n: exact_opt[n] - table["default"]["ev"][n] for n in exact_opt}
    report["table"] = table
    report["table"]["exact_optimum_ev"] = {k: round(v, 4) for k, v in exact_opt.items()}
    report["table"]["max_gap_loose_vs_default"] = round(max(abs(v) for v in gap_paper.values()), 4)
    report["table"]["max_gap_default_vs_optimum"] = round(max(gap_opt.values()), 4)
    print(f"17-study table: default {table['default']['seconds']} s, loose "
          f"{table['loose_1e-9']['seconds']} s, exact {table['exact']['seconds']} s "
          f"({args.workers} workers)")
    print("  max |EV loose - EV default| =", report["table"]["max_gap_loose_vs_default"],
          " max (optimum - EV default) =", report["table"]["max_gap_default_vs_optimum"])
    print(f"  {'study':24s} {'default':>8s} {'loose':>8s} {'exact':>8s} {'optimum':>8s}")
    for n in exact_opt:
        print(f"  {n:24s} {table['default']['ev'][n]:8.4f} {table['loose_1e-9']['ev'][n]:8.4f} "
              f"{table['exact']['ev'][n]:8.4f} {exact_opt[n]:8.4f}")

    # 3. robustness sweep
    if args.robustness:
        cfg = RobustnessConfig()
        report["robustness_sweep"] = {}
        for label, opts in CONFIGS:
            if label == "default_via_scipy_minimize" and not args.sweep_scipy:
                continue  # same fits as "default", only slower (see the Grey1977 figures)
            tasks = [t for s in studies for t in robustness_tasks(s, cfg, opts)]
            t = time.perf_counter()
            run_tasks(tasks, workers=args.workers, quiet=True)
            el = time.perf_counter() - t
            report["robustness_sweep"][label] = {"fits": len(tasks), "seconds": round(el, 2),
                                                 "workers": args.workers}
            print(f"robustness sweep ({label}): {len(tasks)} fits in {el:.1f} s "
                  f"({args.workers} workers)", flush=True)

    # 4. 10,000-dim representation, 20 sounds
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 10_000))
    s = rng.uniform(0, 1, 190)
    D10 = pair_differences(x)
    big = {}
    for label, opts in CONFIGS:
        t, ev, nit = timed_fit(D10, s, opts, repeat=1)
        big[label] = {"seconds": round(t, 3), "ev": round(ev, 4), "n_iter": nit}
    report["dim10000_fit"] = big
    print("10,000 dims x 20 sounds:", json.dumps(big))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
