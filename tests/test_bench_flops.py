"""benchmarks/bench_flops.py: the analytic FLOP count agrees with torch's counter; the JSON says it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmark_scripts import load_benchmark

torch = pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]


def _bench():
    return load_benchmark("bench_flops")


def test_analytic_count_equals_torch_flop_counter_on_every_crepe_size():
    from hear_probes_adapters.crepe import CrepeNet

    bench = _bench()
    frames = torch.randn(3, 1024)
    for variant in ("tiny", "large"):
        net = CrepeNet(variant).eval()
        with torch.no_grad():
            counted = bench.counted_flops(lambda net=net: net.block_outputs(frames, 5))
        assert counted == 3 * bench.analytic_flops_per_frame(net, 5), variant


def test_committed_flops_json_is_consistent():
    path = ROOT / "results" / "benchmarks" / "flops.json"
    if not path.is_file():
        pytest.skip("results/benchmarks/flops.json not committed")
    d = json.loads(path.read_text())
    s = d["summary"]
    assert d["provenance"]["command"] and d["settings"]["torch_threads"] == 2
    # counted FLOPs per audio second = analytic per frame x (frames per second + one centred frame)
    per_frame = d["analytic"]["gflop_per_frame"]
    secs = d["settings"]["seconds"]
    frames = 1 + secs * 16000 / d["embedding"]["timestamp_hop_samples"]
    assert s["timestamp"]["gflop_per_audio_s"] == pytest.approx(per_frame * frames / secs, rel=1e-6)
    for k in ("timestamp", "scene"):
        ratios = [r[k]["ratio_to_matmul"] for r in d["rounds"]]
        assert s[k]["ratio_to_matmul_median"] == pytest.approx(sorted(ratios)[len(ratios) // 2])
