"""benchmarks/zoo_sweep_times.py: per-model sweep times from a sweep's log, never guessed."""

from __future__ import annotations

import json
from pathlib import Path

from benchmark_scripts import load_benchmark


def _script():
    return load_benchmark("zoo_sweep_times")


def _layer(folder: Path, probe: str, timings: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{probe}.json").write_text(json.dumps({"provenance": {"timings_s": timings}}))
    (folder / f".done-{probe}").write_text("{}")


def test_times_come_from_the_last_ok_line_and_missing_tasks_stay_null(tmp_path):
    sweep = tmp_path / "zoo"
    for k in (1, 2):
        _layer(sweep / "m" / f"layer-{k}", "gear", {"embed": 10.0, "analysis_isomap": 2.5})
        _layer(sweep / "m" / f"layer-{k}", "ranking", {"gradients": 4.0, "embed": 1.0})
    _layer(sweep / "m" / "layer-1", "timbre", {"fits": 3.0, "total": 5.0})
    log = sweep / "sweep.log"
    log.write_text("2026-12-05T01:00:00+00:00 ok m [all] gear (100.0 s)\n"
                   "2026-12-05T01:01:00+00:00 FAILED m [all] timbre: boom\ntrace\n"
                   "2026-12-05T01:02:00+00:00 ok m [all] gear (120.5 s)\n"
                   "2026-12-05T01:03:00+00:00 ok m [all] ranking (30.0 s)\n")
    mod = _script()
    out = tmp_path / "times.json"
    assert mod.main(["--sweep", str(sweep), "--out", str(out)]) == 0
    (row,) = json.loads(out.read_text())["results"]
    assert row["probe_s"] == {"timbre": None, "gear": 120.5, "ranking": 30.0}
    assert row["total_core_s"] is None  # timbre's time is not in the log: no total is made up
    assert row["layers"] == 2 and row["layers_done"] == {"timbre": 1, "gear": 2, "ranking": 2}
    # what the layer files time (a layer's total where it has one), and the rest of each task
    assert row["scoring_s"] == {"timbre": 5.0, "gear": 2 * 12.5, "ranking": 2 * 5.0}
    assert row["embedding_s"] == {"timbre": None, "gear": 120.5 - 25.0, "ranking": 30.0 - 10.0}
    assert mod.main(["--sweep", str(tmp_path / "nope"), "--out", str(out)]) == 2


def test_doc_block_shows_minutes_and_na_for_unfinished_tasks(tmp_path):
    from hear_probes.report.zoo_findings import sweep_times_block

    bench = tmp_path / "results" / "benchmarks"
    bench.mkdir(parents=True)
    (bench / "zoo-sweep.json").write_text(json.dumps({"results": [
        {"model": "m", "layers": 5, "probe_s": {"timbre": 60.0, "gear": 150.0, "ranking": None},
         "total_core_s": None}]}))
    lines = sweep_times_block(tmp_path).splitlines()
    assert lines[2] == "| m | 5 | 1.0 | 2.5 | n/a | n/a |"
    assert lines[-1] == ("In all, the 0 models timed in full took 0.0 core-hours, about 0.0 h of "
                         "this 2-core machine with the two workers. 1 more (`m`) has no full time "
                         "(a task resumed after an interruption, not finished, or not run on one "
                         "core); their tasks timed in full add 0.1 core-hours, the rest is not "
                         "counted.")


def test_doc_block_totals_the_zoo_and_leaves_resumed_tasks_out(tmp_path):
    from hear_probes.report.zoo_findings import sweep_times_block

    bench = tmp_path / "results" / "benchmarks"
    bench.mkdir(parents=True)
    done = {"probe_s": {"timbre": 1800.0, "gear": 1800.0, "ranking": 3600.0},
            "total_core_s": 7200.0}
    resumed = {"probe_s": {"timbre": 360.0, "gear": 9999.0, "ranking": 360.0}, "total_core_s": None,
               "resumed_run_s": {"gear": 9999.0}, "layers_in_run": {"gear": 1},
               "layers_done": {"gear": 4}}
    (bench / "zoo-sweep.json").write_text(json.dumps({"results": [
        {"model": "a", "layers": 4, **done}, {"model": "b", "layers": 4, **done},
        {"model": "c", "layers": 4, **resumed}]}))
    total = sweep_times_block(tmp_path).splitlines()[-1]
    assert total.startswith("In all, the 2 models timed in full took 4.0 core-hours, about 2.0 h")
    assert "1 more (`c`)" in total and "add 0.2 core-hours" in total  # gear resumed: not added


def _throughput(path: Path, idle: bool | None, model: str, rate: float) -> None:
    machine = {"cpu_count": 2} if idle is None else {"cpu_count": 2, "idle": idle}
    path.write_text(json.dumps({
        "settings": {"seconds": 6.0, "torch_threads": 2}, "machine": machine,
        "results": [{"model": model, "layers": 3, "default_audio_s_per_s": rate,
                     "all_layers_audio_s_per_s": rate / 2}],
        "provenance": {"created": "2026-12-05T09:00:00+00:00"}}))


def test_throughput_block_says_which_files_were_measured_on_a_shared_machine(tmp_path):
    import pytest

    from hear_probes.report.docsources import DocSourceError
    from hear_probes.report.zoo_docs import throughput_block

    bench = tmp_path / "results" / "benchmarks"
    bench.mkdir(parents=True)
    with pytest.raises(DocSourceError, match="bench_zoo.py"):
        throughput_block(tmp_path)
    _throughput(bench / "zoo-throughput-a.json", True, "alpha", 4.0)
    _throughput(bench / "zoo-throughput-b.json", False, "beta", 2.5)
    _throughput(bench / "zoo-throughput.json", None, "gamma", 1.0)  # files from before "idle"
    rows = [ln for ln in throughput_block(tmp_path).splitlines() if ln.startswith("| ") and "---" not in ln][1:]
    assert [r.split(" | ")[0] for r in rows] == ["| alpha", "| beta", "| gamma"]
    assert "| 4.00 | 2.00 |" in rows[0] and "idle, 2026-12-05" in rows[0]
    assert "shared (lower bound)" in rows[1] and "shared (lower bound)" in rows[2]


def test_a_resumed_task_has_no_total_only_its_last_run(tmp_path):
    sweep = tmp_path / "zoo"
    for k, created in ((1, "2026-12-05T05:00:00+00:00"), (2, "2026-12-05T07:59:00+00:00"),
                       (3, "2026-12-05T08:00:00+00:00")):
        folder = sweep / "m" / f"layer-{k}"
        folder.mkdir(parents=True)
        (folder / "ranking.json").write_text(json.dumps(
            {"provenance": {"created": created, "timings_s": {"gradients": 1.0}}}))
        (folder / ".done-ranking").write_text("{}")
    log = sweep / "sweep.log"
    # the logged run started at 07:58:20: layer 1 comes from an earlier, interrupted run
    log.write_text("2026-12-05T08:00:00+00:00 ok m [all] ranking (100.0 s)\n")
    out = tmp_path / "times.json"
    assert _script().main(["--sweep", str(sweep), "--out", str(out)]) == 0
    (row,) = json.loads(out.read_text())["results"]
    assert row["layers_in_run"]["ranking"] == 2 and row["layers_done"]["ranking"] == 3
    assert row["probe_s"]["ranking"] is None and row["resumed_run_s"]["ranking"] == 100.0
    assert row["total_core_s"] is None
    # the same folder when every layer is from the logged run: its seconds are the task's
    (sweep / "m" / "layer-1" / "ranking.json").write_text(json.dumps(
        {"provenance": {"created": "2026-12-05T07:58:30+00:00", "timings_s": {"gradients": 1.0}}}))
    assert _script().main(["--sweep", str(sweep), "--out", str(out)]) == 0
    (row,) = json.loads(out.read_text())["results"]
    assert row["probe_s"]["ranking"] == 100.0 and row["resumed_run_s"]["ranking"] is None


def test_a_pass_resumed_mid_task_or_run_otherwise_has_no_one_core_time(tmp_path):
    sweep = tmp_path / "zoo"
    for k in (1, 2):
        _layer(sweep / "m" / f"layer-{k}", "ranking", {"gradients": 4.0, "embed": 1.0})
        _layer(sweep / "m" / f"layer-{k}", "gear", {"embed": 1.0})
        _layer(sweep / "m" / f"layer-{k}", "timbre", {"total": 1.0})
    path = sweep / "m" / "layer-1" / "ranking.json"
    doc = json.loads(path.read_text())
    doc["provenance"]["resumed"] = {"eps_pass_from_trial": 144}  # the pass resumed a checkpoint
    path.write_text(json.dumps(doc))
    (sweep / "sweep.log").write_text("2026-12-05T01:00:00+00:00 ok m [all] ranking (30.0 s)\n"
                                     "2026-12-05T01:01:00+00:00 ok m [all] gear (20.0 s)\n"
                                     "2026-12-05T01:02:00+00:00 ok m [all] timbre (10.0 s)\n")
    mod, out = _script(), tmp_path / "times.json"
    assert mod.main(["--sweep", str(sweep), "--out", str(out),
                     "--untimed", "m:gear:two threads"]) == 0
    (row,) = json.loads(out.read_text())["results"]
    assert row["probe_s"] == {"timbre": 10.0, "gear": None, "ranking": None}
    assert row["resumed_run_s"]["ranking"] == 30.0 and row["untimed"] == {"gear": "two threads"}
    assert row["total_core_s"] is None
    for bad in ("m:gear", "m:nope:why", "m:gear: "):
        assert mod.main(["--sweep", str(sweep), "--out", str(out), "--untimed", bad]) == 2
    bench = tmp_path / "results" / "benchmarks"
    bench.mkdir(parents=True)
    (bench / "zoo-sweep.json").write_text(out.read_text())
    from hear_probes.report.zoo_findings import sweep_times_block

    assert "| m | 2 | 0.2 | n/a (two threads) | n/a (resumed: last run 0.5 for 2 of 2 layers) | n/a |" in (
        sweep_times_block(tmp_path))
