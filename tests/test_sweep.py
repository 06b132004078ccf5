"""``hear-probes sweep`` on a Dask LocalCluster (loopback): a failing task, then resume."""

from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("distributed", reason="sweep needs dask[distributed] (pip install 'hear-probes[dask]')")

from hear_probes.cli import main  # noqa: E402
from hear_probes.sweep import SweepConfig, SweepTask, is_done, sweep  # noqa: E402


def test_sweep_fails_one_task_and_resumes(tmp_path, monkeypatch, toy_env):
    monkeypatch.setenv("PYTHONPATH", toy_env["PYTHONPATH"])  # worker processes import the toys
    monkeypatch.setenv("MPLBACKEND", "Agg")
    out, cache = tmp_path / "out", tmp_path / "cache"
    models = ["module:toy_layers", "module:no_such_toy_module"]
    res = sweep(models, ["gear", "ranking"], out, SweepConfig(
        layers="0,3", workers=2, cache=cache, quick=True, quiet=True))
    assert sorted(res["ok"]) == ["module:toy_layers [0,3] gear", "module:toy_layers [0,3] ranking"]
    assert set(res["failed"]) == {"module:no_such_toy_module [0,3] gear", "module:no_such_toy_module [0,3] ranking"}
    assert "cannot import HEAR module 'no_such_toy_module'" in res["failed"]["module:no_such_toy_module [0,3] gear"]
    log = (out / "sweep.log").read_text()
    assert log.count("FAILED") == 2 and log.count(" ok ") == 2
    for k in (0, 3):
        for probe in ("gear", "ranking"):
            assert (out / "toy_layers" / f"layer-{k}" / f"{probe}.json").is_file()
            assert (out / "toy_layers" / f"layer-{k}" / f".done-{probe}").is_file()
    assert is_done(SweepTask("module:toy_layers", "0,3", "gear"), out)
    md = (out / "report.md").read_text()
    assert "## Layers" in md and "| toy_layers | 3 |" in md
    # resume: a rerun (threads this time) skips the finished tasks and retries only the failed
    stamp = os.stat(out / "toy_layers" / "layer-0" / "gear.json").st_mtime_ns
    res2 = sweep(models, ["gear", "ranking"], out, SweepConfig(
        layers="0,3", workers=1, processes=False, cache=cache, quick=True, quiet=True))
    assert sorted(res2["skipped"]) == sorted(res["ok"]) and res2["ok"] == []
    assert len(res2["failed"]) == 2
    assert os.stat(out / "toy_layers" / "layer-0" / "gear.json").st_mtime_ns == stamp
    saved = json.loads((out / "sweep.json").read_text())
    assert len(saved["tasks"]) == 4


def test_sweep_cli_usage_errors(tmp_path):
    assert main(["sweep", "--models", "stft", "--probes", "nope", "--out", str(tmp_path)]) == 2
    assert main(["sweep", "--models", " ", "--out", str(tmp_path)]) == 2


def test_sweep_cli_on_given_scheduler(tmp_path, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setenv("MPLBACKEND", "Agg")
    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        args = ["sweep", "--models", "module:toy_layers", "--layers", "last", "--probes", "gear",
                "--quick", "--scheduler", cluster.scheduler_address, "--out", str(out),
                "--cache", str(tmp_path / "cache"), "-q"]
        assert main(args) == 0
        assert (out / "toy_layers" / "layer-3" / ".done-gear").is_file()
        assert json.loads((out / "toy_layers" / "layers.json").read_text()) == {"last": [3]}
        assert main(args) == 0  # resumed: nothing to run
        assert json.loads((out / "sweep.json").read_text())["skipped"] == ["module:toy_layers [last] gear"]
    assert main(["sweep", "--models", "stft", "--scheduler", "tcp://127.0.0.1:1", "--probes",
                 "gear", "--out", str(out)]) == 2


def test_done_marker_counts_only_for_the_same_settings(tmp_path):
    """A layer finished with other settings (``--null-fits``, ``--quick``, seed) is not done."""
    from hear_probes.sweep import marker_done, task_settings

    task = SweepTask("stft", None, "timbre")
    cfg = SweepConfig(probe_options={"timbre": {"null_fits": 0}})
    settings = task_settings(task, cfg)
    assert settings == {"quick": False, "seed": 0, "options": {"null_fits": 0}}
    marker = tmp_path / ".done-timbre"
    marker.write_text(json.dumps({"model": "stft", "settings": settings}))
    assert marker_done(marker, "stft", settings)
    assert not marker_done(marker, "stft", task_settings(task, SweepConfig()))
    assert not marker_done(marker, "stft", task_settings(task, SweepConfig(
        probe_options={"timbre": {"null_fits": 0}}, seed=1)))
    # another probe's options do not change this task's settings
    assert task_settings(task, SweepConfig(probe_options={"timbre": {"null_fits": 0},
                                                          "ranking": {"figures": False}})) == settings
    # a marker of an earlier version (no settings) still counts
    marker.write_text(json.dumps({"model": "stft"}))
    assert marker_done(marker, "stft", settings)


def test_sweep_cli_passes_probe_options(tmp_path, monkeypatch):
    import hear_probes.sweep as sweep_module

    seen = {}

    def fake_sweep(models, probes, out, config):
        seen.update(models=models, config=config)
        return {"ok": [], "failed": {}, "skipped": [], "report": None}

    monkeypatch.setattr(sweep_module, "sweep", fake_sweep)
    assert main(["sweep", "--models", "stft", "--probes", "timbre,ranking", "--null-fits", "0",
                 "--no-figures", "--batch-size", "4", "--out", str(tmp_path), "-q"]) == 0
    cfg = seen["config"]
    assert cfg.probe_options == {"timbre": {"null_fits": 0}, "ranking": {"figures": False}}
    assert cfg.batch_size == 4
    assert main(["sweep", "--models", "stft", "--null-fits", "-1", "--out", str(tmp_path)]) == 2


def test_probe_options_reach_the_settings():
    from hear_probes.errors import HearProbesError
    from hear_probes.probes.ranking.entry import settings_for as ranking_settings
    from hear_probes.probes.registry import RunOptions
    from hear_probes.probes.timbre.entry import settings_for as timbre_settings

    run = timbre_settings(RunOptions(probe_options={"timbre": {"null_fits": 7}}))
    assert run.settings.uncertainty.n_null_fits == 7
    assert timbre_settings(RunOptions()).settings.uncertainty.n_null_fits == 200
    assert not ranking_settings(RunOptions(probe_options={"ranking": {"figures": False}})).figures
    assert ranking_settings(RunOptions()).figures
    with pytest.raises(HearProbesError, match="null_fits=-2"):
        timbre_settings(RunOptions(probe_options={"timbre": {"null_fits": -2}}))
    with pytest.raises(HearProbesError, match="unknown ranking option"):
        ranking_settings(RunOptions(probe_options={"ranking": {"trials": 3}}))


def test_finished_tasks_are_released_from_the_cluster(tmp_path, monkeypatch):
    """A worker dying later must not make the scheduler rerun tasks whose results were logged."""
    from distributed import Client, LocalCluster

    import hear_probes.sweep as sw

    monkeypatch.setattr(sw, "run_task", lambda task, out, cfg: {
        "status": "ok", "layers": [0], "all_layers": [0], "seconds": 0.0})
    todo = [SweepTask("module:toy_layers", "0", p) for p in ("gear", "ranking", "timbre")]
    summary: dict = {"ok": [], "failed": {}, "skipped": [], "report": None}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        sw._run_grid(client, todo, tmp_path, SweepConfig(layers="0", quiet=True), summary, 0)
        assert len(summary["ok"]) == 3
        assert client.futures == {}  # nothing held: nothing to recompute
