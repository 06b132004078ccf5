"""Benchmark of the ranking probe through a HEAR module (embedding + eps columns, no figures).

Usage::

    PYTHONPATH=. python benchmarks/bench_ranking_module.py [--models crepe-tiny,logmel]
        [--trials 100] [--duration 1.0] [--batch-size 16] [--json out.json]

Each model runs the ranking probe's ``run`` in a fresh, empty embedding cache (so every clip is
embedded), and the script counts the clips that reach ``get_scene_embeddings`` (with and
without autograd) and prints the wall time of the embedding and gradient phases, with the load
average. To compare with an older version of the probe, run the same command with
``PYTHONPATH`` pointing at that version's source tree (the adapters are the installed ones, so
both runs use the same model)::

    git archive 7a22582 hear_probes | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before python benchmarks/bench_ranking_module.py
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch


def run(model: str, trials: int, duration: float, batch_size: int) -> dict:
    """Time one cold-cache ranking evaluation of ``model``; count embedded clips."""
    import hear_probes
    from hear_probes.hear_module import load_hear_module
    from hear_probes.probes.ranking.run import run as run_ranking
    from hear_probes.store import EmbeddingStore

    try:  # since issue 15 the probe takes one settings object
        from hear_probes.probes.ranking.settings import RankingSettings

        def evaluate(loaded, store, out):
            return run_ranking(loaded, store, out, RankingSettings(
                n_trials=trials, duration=duration, figures=False, batch_size=batch_size,
                quiet=True))
    except ImportError:  # older source trees (PYTHONPATH=/tmp/before): keyword arguments
        def evaluate(loaded, store, out):
            return run_ranking(loaded, store, out, n_trials=trials, duration=duration,
                               figures=False, batch_size=batch_size, quiet=True)

    loaded = load_hear_module(name=model)
    original = loaded.module.get_scene_embeddings
    counts = {"clips_no_grad": 0, "clips_with_grad": 0, "calls": 0}

    def counting(audio, m):
        n = int(audio.shape[0])
        grad = isinstance(audio, torch.Tensor) and audio.requires_grad
        counts["clips_with_grad" if grad else "clips_no_grad"] += n
        counts["calls"] += 1
        return original(audio, m)

    loaded.module.get_scene_embeddings = counting
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddingStore.for_model(loaded, Path(tmp) / "cache")
            load0 = os.getloadavg()
            t0 = time.perf_counter()
            payload = evaluate(loaded, store, Path(tmp) / "out")
            wall = time.perf_counter() - t0
    finally:
        loaded.module.get_scene_embeddings = original
    res = payload["representations"][loaded.model_id]
    return {"model": model, "source": str(Path(hear_probes.__file__).parent), "wall_s": wall,
            "timings": payload["provenance"].get("timings_s", {}), **counts,
            "load_before": load0, "load_after": os.getloadavg(),
            "accuracy": res["accuracy"], "n_ties": res.get("n_ties")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="crepe-tiny,logmel")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    out = []
    for model in args.models.split(","):
        r = run(model.strip(), args.trials, args.duration, args.batch_size)
        out.append(r)
        t = r["timings"]
        print(f"{model}: {args.trials} trials x {args.duration:g} s, batch {args.batch_size}: "
              f"{r['wall_s']:.1f} s wall (embed {t.get('embed', float('nan')):.1f} s, gradients "
              f"{t.get('gradients', float('nan')):.1f} s); clips through get_scene_embeddings: "
              f"{r['clips_no_grad']} without grad + {r['clips_with_grad']} with grad in "
              f"{r['calls']} calls; load {r['load_before']} -> {r['load_after']}")
        print(f"  source {r['source']}; accuracy {json.dumps(r['accuracy'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
