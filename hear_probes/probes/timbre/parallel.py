"""Run independent fits in parallel: local processes by default, or a Dask cluster.

``run_tasks`` preserves the task order in its output whatever the completion order, so
results never depend on scheduling; a tqdm bar counts finished fits.

Interruption: a ``KeyboardInterrupt`` (Ctrl-C, or SIGINT sent to the parent alone) or any
other error in the parent cancels the pending fits, terminates the local worker processes
(SIGTERM, then SIGKILL after a grace period) or cancels the Dask futures, and re-raises at
once: the parent never waits for running fits. Local workers ignore SIGINT (the parent
decides) and, on Linux, ask the kernel to kill them when the parent dies, so even a
``kill -9`` of the parent leaves no orphaned worker behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from tqdm.auto import tqdm

from hear_probes.probes.timbre.tasks import FitOutcome, FitTask, run_task


def default_workers() -> int:
    """Local worker processes: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies (no orphans)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no prctl
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _worker_init(parent_pid: int) -> None:
    """Initializer of local workers: ignore SIGINT, die with the parent, one BLAS thread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    _single_thread_blas()


def _single_thread_blas() -> None:
    """Pin BLAS to one thread in worker processes (avoids oversubscribing the CPUs)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    try:  # effective even if numpy is already imported
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # noqa: BLE001 - threadpoolctl is optional
        pass


def run_tasks(
    tasks: Sequence[FitTask],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    desc: str = "timbre fits",
    func: Callable[[FitTask], FitOutcome] = run_task,
    connect_timeout: float = 20.0,
) -> list[FitOutcome]:
    """Run fits and return their outcomes in task order.

    Parameters
    ----------
    tasks : sequence of FitTask
    workers : int, optional
        Local processes (default: all usable CPUs). ``1`` runs in this process.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``); when given, the fits
        run on that cluster instead of local processes.
    quiet : bool
        No progress bar.
    desc : str
        Progress-bar label.
    func : callable
        The function applied to each task (tests may substitute it).
    connect_timeout : float
        Seconds to wait for the Dask scheduler.

    Returns
    -------
    list of FitOutcome
    """
    tasks = list(tasks)
    if not tasks:
        return []
    bar = tqdm(total=len(tasks), desc=desc, unit="fit", disable=quiet, leave=False)
    try:
        if scheduler:
            return _run_dask(tasks, scheduler, bar, func, connect_timeout)
        n = workers or default_workers()
        if n <= 1 or len(tasks) == 1:
            out = []
            for t in tasks:
                out.append(func(t))
                bar.update(1)
            return out
        return _run_local(tasks, n, bar, func)
    finally:
        bar.close()


def _run_local(tasks: list[FitTask], n: int, bar: Any, func: Callable) -> list[FitOutcome]:
    results: list[FitOutcome | None] = [None] * len(tasks)
    ex = ProcessPoolExecutor(max_workers=min(n, len(tasks)), initializer=_worker_init,
                             initargs=(os.getpid(),))
    try:
        futures = {ex.submit(func, t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            bar.update(1)
    except BaseException:
        _abort_pool(ex)
        raise
    ex.shutdown(wait=True)
    return results  # type: ignore[return-value]


def _abort_pool(ex: ProcessPoolExecutor, grace: float = 2.0) -> None:
    """Stop a process pool now: cancel queued fits, terminate the running ones."""
    procs = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(grace)
            if p.is_alive():
                p.kill()
                p.join(grace)


def _run_dask(tasks: list[FitTask], scheduler: str, bar: Any, func: Callable,
              connect_timeout: float) -> list[FitOutcome]:
    from hear_probes.dask_client import dask_client

    with dask_client(scheduler, timeout=connect_timeout) as client:
        from distributed import as_completed as dask_completed

        futures = client.map(func, tasks, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[FitOutcome | None] = [None] * len(tasks)
        try:
            with client.as_current():
                for fut in dask_completed(futures):
                    results[index[fut.key]] = fut.result()
                    bar.update(1)
        except BaseException:
            # interrupted or failed: withdraw every fit of ours from the cluster, do not wait
            with contextlib.suppress(Exception):
                client.cancel(futures, force=True)
            raise
        return results  # type: ignore[return-value]
