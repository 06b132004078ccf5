"""benchmarks/cpu_watch.py: a benchmark records whether other jobs shared the CPU."""

from __future__ import annotations

from benchmark_scripts import load_benchmark


def _watch(monkeypatch, busy: tuple[float, float], own: tuple[float, float], wall=(0.0, 2.0)):
    mod = load_benchmark("cpu_watch")
    seq = {"busy": list(busy), "own": list(own), "wall": list(wall)}
    monkeypatch.setattr(mod, "_busy_seconds", lambda: seq["busy"].pop(0))
    monkeypatch.setattr(mod.time, "process_time", lambda: seq["own"].pop(0))
    monkeypatch.setattr(mod.time, "perf_counter", lambda: seq["wall"].pop(0))
    with mod.CpuWatch() as watch:
        pass
    return watch


def test_other_jobs_time_is_the_machines_busy_time_beyond_this_process(monkeypatch):
    # 2 s of wall time, the machine busy 4 s of CPU, this process 3.9 s: others 0.05 core
    w = _watch(monkeypatch, busy=(100.0, 104.0), own=(10.0, 13.9))
    assert abs(w.other_cores - 0.05) < 1e-9 and w.idle
    assert w.record()["idle"] is True
    # the same process time while the machine was busy 6 s: another job took a core
    w = _watch(monkeypatch, busy=(100.0, 106.0), own=(10.0, 13.9))
    assert abs(w.other_cores - 1.05) < 1e-9 and not w.idle


def test_unknown_when_proc_stat_cannot_be_read(monkeypatch):
    w = _watch(monkeypatch, busy=(None, None), own=(0.0, 1.0))
    assert w.other_cores is None and not w.idle  # never claimed idle without a measurement
