"""Parallel execution: local processes and a Dask LocalCluster give the serial results."""

from __future__ import annotations

import numpy as np
import pytest

from hear_probes.errors import HearProbesError
from hear_probes.probes.timbre.metric import FitOptions, pair_differences
from hear_probes.probes.timbre.parallel import run_tasks
from hear_probes.probes.timbre.robustness import RobustnessConfig, robustness_tasks
from hear_probes.probes.timbre.study import prepare_study


def _tasks(n_real=2):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 6))
    D = pair_differences(x)
    m = np.full((7, 7), np.nan)
    m[np.triu_indices(7, 1)] = (D[:, 0] + D[:, 1]) / (D[:, 0] + D[:, 1]).max()
    st = prepare_study("Syn", x, [f"s{k}" for k in range(7)], m)
    cfg = RobustnessConfig(deltas=(0.1, 1.0), realisations=n_real, seed=1)
    return robustness_tasks(st, cfg, FitOptions(maxiter=200))


def _evs(outs):
    return [(o.key, round(o.pearson_score, 10)) for o in outs]


def test_local_processes_match_serial():
    tasks = _tasks()
    serial = run_tasks(tasks, workers=1, quiet=True)
    parallel = run_tasks(tasks, workers=2, quiet=True)
    assert _evs(serial) == _evs(parallel)


def test_dask_localcluster_matches_serial():
    distributed = pytest.importorskip("distributed")
    tasks = _tasks(n_real=1)
    serial = run_tasks(tasks, workers=1, quiet=True)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        outs = run_tasks(tasks, scheduler=cluster.scheduler_address, quiet=True)
    assert _evs(outs) == _evs(serial)


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    with pytest.raises(HearProbesError, match="cannot reach the Dask scheduler"):
        run_tasks(_tasks(n_real=1), scheduler="tcp://127.0.0.1:9", quiet=True, connect_timeout=1)


def test_no_private_process_pool_machinery():
    """The pool uses loky's public API: no ctypes prctl, no private executor attribute."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "hear_probes" / "probes" / "timbre" / "parallel.py"
    tree = ast.parse(src.read_text("utf-8"))
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "ctypes" not in imported and "prctl" not in attrs
    assert "_processes" not in attrs | strings
    assert "get_reusable_executor" in imported  # loky's


def test_a_failing_fit_stops_the_local_pool_and_raises():
    """An error in one fit re-raises in the parent at once; later results are not awaited."""
    import time

    t0 = time.monotonic()
    with pytest.raises(ZeroDivisionError):
        run_tasks(list(range(4)), workers=2, quiet=True, func=_fails_on_two)
    assert time.monotonic() - t0 < 20


def _fails_on_two(task):
    import time

    if task == 2:
        return 1 / 0
    time.sleep(60 if task == 3 else 0)
    return task


def test_one_dask_setup_in_the_package():
    """Only hear_probes/dask_client.py builds a distributed Client or LocalCluster."""
    from pathlib import Path

    pkg = Path(__file__).resolve().parents[1] / "hear_probes"
    users = sorted(str(p.relative_to(pkg)) for p in pkg.rglob("*.py")
                   if "Client(" in p.read_text("utf-8") or "LocalCluster(" in p.read_text("utf-8"))
    assert users == ["dask_client.py"], users


def _pid(task):
    import os

    return os.getpid()


def test_successive_calls_reuse_the_workers_and_survive_a_failure():
    """One pool per run: the second call finds the same worker processes (no new
    interpreters); after a failed call the next one starts a fresh pool and works."""
    import os

    first = set(run_tasks(list(range(8)), workers=2, quiet=True, func=_pid))
    second = set(run_tasks(list(range(8)), workers=2, quiet=True, func=_pid))
    assert os.getpid() not in first and first & second
    with pytest.raises(ZeroDivisionError):
        run_tasks([2, 0], workers=2, quiet=True, func=_fails_on_two)
    last = set(run_tasks(list(range(4)), workers=2, quiet=True, func=_pid))
    from hear_probes.probes.timbre.parallel import shutdown_workers

    shutdown_workers()
    from fault_helpers import alive, wait_until

    assert wait_until(lambda: not any(alive(p) for p in last), 10), "workers still running"


def _report_default_workers(queue) -> None:
    from hear_probes.probes.timbre.parallel import default_workers

    queue.put(default_workers())


def test_default_workers_is_one_in_a_daemonic_process():
    """A Dask worker (``hear-probes sweep``) is daemonic and may not start processes: its
    timbre fits run in the process itself instead of failing with "daemonic processes are
    not allowed to have children"."""
    import multiprocessing

    from hear_probes.probes.timbre.parallel import default_workers

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_report_default_workers, args=(queue,), daemon=True)
    proc.start()
    got = queue.get(timeout=60)
    proc.join(timeout=30)
    assert got == 1
    assert default_workers() >= 1
