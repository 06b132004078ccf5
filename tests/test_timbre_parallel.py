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
