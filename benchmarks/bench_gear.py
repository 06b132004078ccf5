"""Benchmark of the GEAR analyses (embedding time excluded).

Two embeddings of the paper's 2500 tones, computed here without any model:

* ``stft-like``: magnitude spectrum of each 1024-sample tone (|rfft|, 513 dims);
* ``randproj-like``: log of that spectrum (floor 1e-4) times a fixed Gaussian random
  matrix to 4096 dims (the structure of the HEAR naive baseline).

Times :func:`hear_probes.probes.gear.analysis.analyse` (distances, Isomap, kNN, scores) and the
figures separately. Usage::

    PYTHONPATH=. python benchmarks/bench_gear.py [--n 2500] [--repeats 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from hear_probes.probes.gear.analysis import analyse
from hear_probes.probes.gear.figures import plot_isomap_grid, plot_knn_boxplot, write_isomap_html
from hear_probes.stimuli.gear import factor_scales, make_tones


def embeddings_for(n: int, seed: int = 0) -> tuple[dict[str, np.ndarray], dict, dict]:
    """The two benchmark embeddings, the factors and their scales."""
    tones = make_tones("paper")
    if n < len(tones):
        tones = tones.subset(n, seed=seed)
    audio = tones.synthesize(tones.item_ids).astype(np.float64)
    mag = np.abs(np.fft.rfft(audio, axis=1))
    proj = np.random.default_rng(seed).normal(size=(mag.shape[1], 4096)) / np.sqrt(mag.shape[1])
    embs = {
        "stft-like (513)": mag.astype(np.float32),
        "randproj-like (4096)": (np.log(mag + 1e-4) @ proj).astype(np.float32),
    }
    return embs, tones.factors, factor_scales(list(tones.factors))


def main() -> None:
    """Run the benchmark and print one line per embedding."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2500, help="number of tones")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="write the timings here")
    args = ap.parse_args()
    embs, factors, scales = embeddings_for(args.n)
    rows = []
    for name, emb in embs.items():
        for rep in range(args.repeats):
            t0 = time.perf_counter()
            ana = analyse(emb, factors, scales)
            t_analysis = time.perf_counter() - t0
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                plot_isomap_grid({name: (ana.coords, ana.factors)}, Path(tmp) / "a.png", scales)
                plot_knn_boxplot({name: ana.log_ratios}, Path(tmp) / "b.png")
                write_isomap_html(ana.coords, ana.factors, Path(tmp) / "c.html", name, scales)
            t_fig = time.perf_counter() - t0
            row = {
                "embedding": name, "n": emb.shape[0], "dim": emb.shape[1], "repeat": rep,
                "analysis_s": round(t_analysis, 2), "figures_s": round(t_fig, 2),
                **{k: round(v, 2) for k, v in ana.timings.items()},
            }
            rows.append(row)
            print(json.dumps(row))
    if args.json:
        meta = {"platform": platform.platform(), "processor": platform.processor()}
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
