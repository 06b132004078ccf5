"""Benchmark: how close the largest zoo model's embedding gets to this machine's matmul FLOP/s.

For ``--model`` (default ``crepe-large``, the largest packaged-weight model that installs here
with its real weights; ``crepe`` = full is the fallback) this measures

* its forward FLOPs per second of audio, counted by :class:`torch.utils.flop_counter.FlopCounterMode`
  on the real embedding calls and checked against the analytic count from the conv shapes
  (``2 * C_in * C_out * kernel * positions`` per conv, summed over the blocks the embedding
  runs);
* its embedding throughput (seconds of audio per second of wall time) for the timestamp
  embeddings (every hop) and the scene embedding (the model's default recipe), hence the
  FLOP/s it reaches;
* the FLOP/s of ``torch.matmul`` in float32 with the same thread count, on a square
  2048 x 2048 product and on the im2col product of the model's costliest conv (the best of
  the two is the "matmul limit");
* the time of each conv block on a batch of frames (where the time goes).

The ratio ``matmul limit / embedding FLOP/s`` is what issue 22 asks to keep under 3. The
matmuls and the embedding calls are timed in turn (``--repeats`` turns after a warm-up), so
that each turn's ratio compares them under the same load of a shared CPU; the median of the
per-turn ratios is reported, with the ratio of the best times of each. The whole measurement
is run ``--rounds`` times to show its stability. Usage::

    PYTHONPATH=. python benchmarks/bench_flops.py [--model crepe-large] [--seconds 4]
        [--repeats 5] [--rounds 2] [--threads 2] [--out results/benchmarks/flops.json]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from cpu_watch import CpuWatch
from torch.utils.flop_counter import FlopCounterMode

from hear_probes.hear_module import load_hear_module
from hear_probes.provenance import provenance, write_json


def median_time(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def counted_flops(fn) -> int:
    """FLOPs of one call of ``fn`` (multiply-add = 2), as torch's flop counter sees them."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def analytic_flops_per_frame(net, upto: int) -> int:
    """``sum 2 * C_in * C_out * kernel * L_out`` over conv blocks ``1 .. upto`` of one 1024-sample frame."""
    length, total = 1024, 0
    for conv in list(net.convs)[:upto]:
        k, s = conv.kernel_size[0], conv.stride[0]
        out_len = -(-length // s)  # "same" padding
        total += 2 * conv.in_channels * conv.out_channels * k * out_len
        length = out_len // 2  # max-pool 2
    return total


def block_times(net, frames: torch.Tensor, upto: int, repeats: int) -> list[dict]:
    """Wall time and FLOP/s of each conv block (pad, conv, ReLU, batch norm, pool) on ``frames``."""
    x, out = frames.unsqueeze(1), []
    for i, (conv, bn) in enumerate(list(zip(net.convs, net.bns, strict=True))[:upto]):
        k, s = conv.kernel_size[0], conv.stride[0]
        pad = max((-(-x.shape[-1] // s) - 1) * s + k - x.shape[-1], 0)

        def run(x=x, conv=conv, bn=bn, pad=pad):
            return F.max_pool1d(bn(F.relu(conv(F.pad(x, (pad // 2, pad - pad // 2))))), 2)

        t = median_time(run, repeats)
        flops = counted_flops(run)
        out.append({"block": i + 1, "in_channels": conv.in_channels, "out_channels": conv.out_channels,
                    "kernel": k, "stride": s, "in_positions": x.shape[-1], "s": t,
                    "gflop": flops / 1e9, "gflop_per_s": flops / t / 1e9})
        x = run()
    return out


def _interleaved(fns: dict, repeats: int) -> dict[str, list[float]]:
    """Wall times of each function, called in turn ``repeats`` times after one warm-up each.

    Interleaving exposes every function to the same load of a shared CPU, so that the ratio
    of two timings taken in the same turn is stable even when the timings themselves are not.
    """
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return times


def measure(loaded, seconds: float, repeats: int) -> dict:
    """One round: FLOPs, embedding throughput, matmul limit (interleaved), block times."""
    model, module = loaded.model, loaded.module
    rate = model.sample_rate
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    x = torch.from_numpy((0.3 * np.sin(2 * np.pi * 220.0 * t)
                          + 0.01 * rng.standard_normal(t.size)).astype(np.float32))[None]
    calls = {"timestamp": lambda: module.get_timestamp_embeddings(x, model),
             "scene": lambda: module.get_scene_embeddings(x, model)}
    flops = {k: counted_flops(fn) for k, fn in calls.items()}
    net, upto = model.net, model.block or model.layer
    frames = torch.randn(model.frame_batch, 1024)
    blocks = block_times(net, frames, upto, repeats)
    costly = max(blocks, key=lambda b: b["gflop"])
    # the costliest conv as an im2col product, on an eighth of a frame batch (a quarter second)
    im2col = (model.frame_batch * costly["in_positions"] // max(1, costly["stride"]) // 8,
              costly["in_channels"] * costly["kernel"], costly["out_channels"])
    shapes = {"matmul 2048^3": (2048, 2048, 2048), "matmul im2col": im2col}
    operands = {k: (torch.randn(m, kk), torch.randn(kk, n)) for k, (m, kk, n) in shapes.items()}
    fns = {k: (lambda a=a, b=b: torch.matmul(a, b)) for k, (a, b) in operands.items()} | calls
    times = _interleaved(fns, repeats)
    mm_rate = {k: [2 * m * kk * n / tt / 1e9 for tt in times[k]] for k, (m, kk, n) in shapes.items()}
    limit = [max(v) for v in zip(*mm_rate.values(), strict=True)]  # per turn
    out: dict = {}
    for name in calls:
        rates = [flops[name] / tt / 1e9 for tt in times[name]]
        out[name] = {"gflop_per_audio_s": flops[name] / seconds / 1e9,
                     "s": times[name], "audio_s_per_s": seconds / statistics.median(times[name]),
                     "gflop_per_s": statistics.median(rates),
                     "ratio_to_matmul_per_turn": [lim / r for lim, r in zip(limit, rates, strict=True)],
                     "ratio_to_matmul": statistics.median(lim / r for lim, r in zip(limit, rates, strict=True)),
                     "ratio_of_best_times": max(max(v) for v in mm_rate.values()) / max(rates)}
    out.update({"matmul": [{"name": k, "shape": list(shapes[k]), "gflop_per_s": mm_rate[k]}
                           for k in shapes],
                "matmul_limit_gflop_per_s": statistics.median(limit), "blocks": blocks})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="crepe-large")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="results/benchmarks/flops.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    loaded = load_hear_module(name=args.model)
    model = loaded.model
    upto = model.block or model.layer
    frames_per_s = {"timestamp": model.sample_rate / model.hop, "scene": model.sample_rate / model.scene_hop}
    per_frame = analytic_flops_per_frame(model.net, upto)
    rounds = []
    with torch.no_grad(), CpuWatch() as watch:
        for r in range(args.rounds):
            rounds.append(measure(loaded, args.seconds, args.repeats))
            got = rounds[-1]
            print(f"round {r + 1}: timestamp {got['timestamp']['audio_s_per_s']:.2f} audio s/s "
                  f"({got['timestamp']['gflop_per_s']:.1f} GFLOP/s), scene "
                  f"{got['scene']['audio_s_per_s']:.2f} audio s/s ({got['scene']['gflop_per_s']:.1f} "
                  f"GFLOP/s), matmul {got['matmul_limit_gflop_per_s']:.1f} GFLOP/s, ratio "
                  f"{got['timestamp']['ratio_to_matmul']:.2f} / {got['scene']['ratio_to_matmul']:.2f}",
                  flush=True)
    payload = {
        "benchmark": "forward FLOPs of the largest zoo model against the float32 matmul limit",
        "model": args.model,
        "weights_id": loaded.weights_id,
        "embedding": {"conv_blocks_run": upto, "frame_batch": model.frame_batch,
                      "timestamp_hop_samples": model.hop, "scene_hop_samples": model.scene_hop},
        "analytic": {"gflop_per_frame": per_frame / 1e9,
                     "gflop_per_audio_s": {k: per_frame * v / 1e9 for k, v in frames_per_s.items()},
                     "note": "convs only, 'same' padding; frames per second = rate / hop (plus one "
                             "centred frame per clip, which the counted FLOPs include)"},
        "settings": {"seconds": args.seconds, "clips": 1, "repeats": args.repeats, "rounds": args.rounds,
                     "torch_threads": args.threads, "dtype": "float32", "no_grad": True,
                     "mkldnn": torch.backends.mkldnn.is_available()},
        "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    **watch.record(),
                    "note": ("no other job on the CPU while measured" if watch.idle else
                             "CPU shared with other jobs while measured; compare the rounds")},
        "rounds": rounds,
        "summary": {k: {"ratio_to_matmul_median": statistics.median(r[k]["ratio_to_matmul"] for r in rounds),
                        "ratio_of_best_times": min(r[k]["ratio_of_best_times"] for r in rounds),
                        "audio_s_per_s_median": statistics.median(r[k]["audio_s_per_s"] for r in rounds),
                        "gflop_per_s_median": statistics.median(r[k]["gflop_per_s"] for r in rounds),
                        "gflop_per_audio_s": rounds[0][k]["gflop_per_audio_s"]}
                    for k in ("timestamp", "scene")},
        "provenance": provenance(seed=0, timings={"total": time.perf_counter() - t0}),
    }
    payload["summary"]["matmul_limit_gflop_per_s_median"] = statistics.median(
        r["matmul_limit_gflop_per_s"] for r in rounds)
    write_json(args.out, payload)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
