"""benchmarks/bench_layer_gradients.py on the toy layered module: it runs, times the three
passes and finds them in agreement (a failing or disagreeing pass must show here, not in a
long benchmark run)."""

from __future__ import annotations

import json

import pytest
from benchmark_scripts import load_benchmark

pytest.importorskip("torch")


def test_benchmark_times_three_passes_and_they_agree(tmp_path):
    bench = load_benchmark("bench_layer_gradients")
    out = tmp_path / "lg.json"
    res = bench.main(["--module", "toy_layers", "--trials", "6", "--duration", "0.25",
                      "--batch-size", "3", "--threads", "1", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["model"] == "toy_layers" and saved["layers"] == [0, 1, 2, 3]
    for key in ("forward_s", "forward_dual_s", "reverse_s"):
        assert saved[key] > 0
    assert saved["tangent_batching_speedup"] == pytest.approx(saved["forward_dual_s"] / saved["forward_s"])
    assert saved["vmap_vs_dual_worst_same_score"] == 1.0 == res["worst_same_score"]
    assert saved["vmap_vs_dual_worst_max_diff_over_scale"] == 0.0  # toy float32 model: bit-identical
    assert set(saved["machine"]) >= {"idle", "cpu_count"}
    assert saved["provenance"]["timings_s"].keys() >= {"forward", "forward_dual", "reverse"}
