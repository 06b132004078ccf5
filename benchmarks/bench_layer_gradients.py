"""Benchmark: the ranking ``eps`` column of every layer, forward mode (one group pass) vs reverse.

For one layered model, on ``--trials`` ranking trials of ``--duration`` s:

* ``reverse``: :func:`~hear_probes.probes.ranking.embedding.module_gradient_pass` once per layer
  view (a forward and a backward pass per layer: what the probe did before);
* ``forward``: :func:`~hear_probes.probes.ranking.layer_gradients.layer_group_gradient_pass`
  (targets, then both tangents in one ``vmap``-ed jvp through ``get_layer_scene_embeddings``,
  every layer at once; the model's default);
* ``forward_dual``: the same with ``batch_tangents=False`` (one dual pass per tangent).

It records the times, the speed-ups, and how far the modes agree (see :func:`agreement`): the
largest difference of the derivatives in the unit of the tie test, and the share of trials
with the same ``eps`` score. Writes JSON with the
command, versions and timings. Usage::

    PYTHONPATH=. python benchmarks/bench_layer_gradients.py --model musicnn-mtt [--trials 32]
        [--duration 1.0] [--batch-size 16] [--threads 2] [--out results/benchmarks/x.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cpu_watch import CpuWatch  # noqa: E402

from hear_probes.probes.ranking.embedding import (  # noqa: E402
    gradient_pass_scores,
    module_gradient_pass,
    round_trials,
)
from hear_probes.probes.ranking.layer_gradients import layer_group_gradient_pass  # noqa: E402
from hear_probes.provenance import atomic_write_text, provenance  # noqa: E402
from hear_probes.stimuli.sines import sample_trials  # noqa: E402
from hear_probes.views import ModelSource  # noqa: E402


def agreement(fwd, rev, trials) -> dict:
    """How far the two modes' derivatives differ, and whether the ``eps`` scores are the same.

    ``max_diff_over_scale``: the largest ``|g_fwd - g_rev| / scale``, in the unit of the tie test
    (a derivative below ``gradient_tie_rtol * scale`` is a tie). A representation invariant to a
    parameter (CREPE normalises each frame, so it has no level derivative) has only rounding
    noise there, which the two modes round differently; the tie test makes both ties.
    ``same_score``: the share of trials whose ``eps`` score (1, 0 or tie) is the same.
    """
    out = {}
    s_fwd, s_rev = gradient_pass_scores(fwd, trials), gradient_pass_scores(rev, trials)
    for dim, a, b in (("pitch", fwd.grad_pitch, rev.grad_pitch),
                      ("level", fwd.grad_level, rev.grad_level)):
        out[dim] = {"max_diff_over_scale": float(np.max(np.abs(a - b) / rev.scale)),
                    "same_score": float(np.mean(s_fwd[dim] == s_rev[dim])),
                    "ties": int(np.sum(s_rev[dim] == 0.5))}
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="musicnn-mtt")
    ap.add_argument("--module", default=None,
                    help="a layered HEAR module to import instead of a registered --model")
    ap.add_argument("--trials", type=int, default=32)
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    watch = CpuWatch().__enter__()
    source = (ModelSource(module=args.module, layers="all") if args.module
              else ModelSource(model=args.model, layers="all"))
    _, views = source.views()
    group, sr = views[0].layer_group, views[0].sample_rate
    trials = round_trials(sample_trials(args.trials, seed=args.seed))
    # warm-up: one small batch through each pass, so that no timed pass pays the first call's
    # one-off costs (kernel selection, lazy initialisation)
    warm = round_trials(sample_trials(2, seed=args.seed + 1))
    for batched in (False, True):
        layer_group_gradient_pass(group, sr, warm, args.duration, batch_size=2, batch_tangents=batched)
    module_gradient_pass(views[0].module, views[0].model, sr, warm, args.duration, batch_size=2)
    t0 = time.perf_counter()
    dual = layer_group_gradient_pass(group, sr, trials, args.duration, batch_size=args.batch_size,
                                     batch_tangents=False)
    t_dual = time.perf_counter() - t0
    t0 = time.perf_counter()
    fwd = layer_group_gradient_pass(group, sr, trials, args.duration, batch_size=args.batch_size)
    t_fwd = time.perf_counter() - t0
    dual_agree = {k: agreement(fwd[k], dual[k], trials) for k in group.layer_ids}
    rev_s, agree = {}, {}
    for v in views:
        t0 = time.perf_counter()
        rev = module_gradient_pass(v.module, v.model, sr, trials, args.duration,
                                   batch_size=args.batch_size)
        rev_s[v.layer] = time.perf_counter() - t0
        agree[v.layer] = agreement(fwd[v.layer], rev, trials)
    t_rev = sum(rev_s.values())
    watch.__exit__(None, None, None)
    result = {
        "benchmark": "ranking eps column of every layer: forward-mode group pass vs reverse per layer",
        "model": args.module or args.model,
        "layers": group.layer_ids,
        "settings": {"trials": args.trials, "duration_s": args.duration,
                     "batch_size": args.batch_size, "torch_threads": args.threads},
        "machine": {"cpu_count": os.cpu_count(), **watch.record()},
        "forward_s": t_fwd,
        "forward_dual_s": t_dual,
        "tangent_batching_speedup": t_dual / t_fwd,
        "vmap_vs_dual_worst_max_diff_over_scale": max(
            a[d]["max_diff_over_scale"] for a in dual_agree.values() for d in a),
        "vmap_vs_dual_worst_same_score": min(a[d]["same_score"] for a in dual_agree.values() for d in a),
        "reverse_s": t_rev,
        "reverse_s_per_layer": {str(k): s for k, s in rev_s.items()},
        "speedup": t_rev / t_fwd,
        "agreement": {str(k): a for k, a in agree.items()},
        "worst_max_diff_over_scale": max(a[d]["max_diff_over_scale"] for a in agree.values() for d in a),
        "worst_same_score": min(a[d]["same_score"] for a in agree.values() for d in a),
        "provenance": provenance(seed=args.seed, timings={"forward": t_fwd, "forward_dual": t_dual,
                                                          "reverse": t_rev}),
    }
    print(f"{result['model']}: {len(group.layer_ids)} layers, {args.trials} trials of "
          f"{args.duration} s: reverse {t_rev:.1f} s, forward {t_fwd:.1f} s -> "
          f"{result['speedup']:.2f}x (two dual passes {t_dual:.1f} s); largest difference {result['worst_max_diff_over_scale']:.1e} "
          f"of the tie scale, same eps score in {100 * result['worst_same_score']:.1f} % of "
          "trials (worst layer)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
