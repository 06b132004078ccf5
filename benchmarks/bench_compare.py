"""Benchmark of ``hear-probes compare``: all pairs of 3 models over the 21 timbre studies.

The three models are synthetic pair files of the real studies' sizes
(``tests/compare_fixtures.py``: 11 to 24 sounds, 55 to 276 pairs per study, the predictors
euclidean, cosine, loso, regularised, in_sample). Times :func:`hear_probes.compare.compare_folders`
(reading the three ``timbre_pairs.h5`` files, 3 pairs x 6 scores x 21 studies of paired
bootstrap, the Wilcoxon tests and Holm) and the writing of ``compare.json``/``compare.csv``.
Wall time and CPU time are both printed: on a shared machine the CPU time is the stable one.
Usage::

    PYTHONPATH=. python benchmarks/bench_compare.py [--resamples 1000] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from compare_fixtures import write_model  # noqa: E402

from hear_probes.compare import CompareSettings, compare_folders, write_comparison  # noqa: E402


def main() -> None:
    """Run the benchmark and print one line per repeat."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="write the timings here")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = [write_model(Path(tmp) / name, name, q, seed)
                   for name, q, seed in (("weak", 0.3, 1), ("mid", 0.6, 2), ("good", 0.9, 3))]
        settings = CompareSettings(n_resamples=args.resamples)
        for rep in range(args.repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            res = compare_folders(folders, settings)
            write_comparison(res, Path(tmp) / "out")
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            n_tests = len(res.tests)
            rows.append({"repeat": rep, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                         "n_tests": n_tests})
            print(f"3 models, all pairs, 21 studies, {args.resamples} resamples: "
                  f"{wall:.2f} s wall, {cpu:.2f} s CPU, {n_tests} tests")
    if args.json:
        args.json.write_text(json.dumps({"benchmark": "compare", "platform": platform.platform(),
                                         "resamples": args.resamples, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
