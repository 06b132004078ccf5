"""Run independent fits in parallel: local loky processes by default, or a Dask cluster.

``run_tasks`` preserves the task order in its output whatever the completion order, so
results never depend on scheduling; a tqdm bar counts finished fits.

Local workers are loky's reusable process pool (``loky.get_reusable_executor``, the pool of
joblib, with a public ``shutdown(kill_workers=True)``), kept between the calls of one run and
ended after :data:`IDLE_WORKER_SECONDS` idle; a Dask cluster comes from
:func:`hear_probes.dask_client.open_client`, the package's one Dask setup.

Interruption: a ``KeyboardInterrupt`` (Ctrl-C, or SIGINT sent to the parent alone) or any
other error in the parent cancels the pending fits, kills the local worker processes
(``shutdown(wait=False, kill_workers=True)``) or cancels the Dask futures, and re-raises at
once: the parent never waits for running fits. Local workers ignore SIGINT (the parent
decides) and watch their parent: a daemon thread exits the worker when its parent process
is gone, so even a ``kill -9`` of the parent leaves no orphaned worker behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from typing import Any

from tqdm.auto import tqdm

from hear_probes.probes.timbre.tasks import FitOutcome, FitTask, run_task

#: Seconds an idle local worker waits for the next call of the run before it exits.
IDLE_WORKER_SECONDS = 60
#: Seconds between two checks of a local worker that its parent is still alive.
PARENT_POLL_SECONDS = 0.5


def default_workers() -> int:
    """Local worker processes: the CPUs this process may use; 1 in a daemonic process.

    A daemonic process (a Dask worker of ``hear-probes sweep``, a multiprocessing pool
    worker) may not start processes of its own, and there the CPUs are already shared out
    one task per worker: its fits run in the process itself.
    """
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _watch_parent(parent_pid: int, poll: float = PARENT_POLL_SECONDS) -> None:
    """Exit this worker as soon as its parent process is gone (a daemon thread's loop)."""
    while True:
        if os.getppid() != parent_pid:  # re-parented: the parent died
            os._exit(1)
        time.sleep(poll)


def _worker_init(parent_pid: int) -> None:
    """Initializer of local workers: ignore SIGINT, die with the parent, one BLAS thread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.getppid() != parent_pid:  # the parent died before this worker started
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="hear-probes-parent-watch").start()
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


def shutdown_workers() -> None:
    """End the local worker processes kept between calls (they also end when idle for
    :data:`IDLE_WORKER_SECONDS`, or with this process)."""
    from loky import get_reusable_executor

    get_reusable_executor(reuse=True).shutdown(wait=True)


def _run_local(tasks: list[FitTask], n: int, bar: Any, func: Callable) -> list[FitOutcome]:
    from loky import get_reusable_executor

    results: list[FitOutcome | None] = [None] * len(tasks)
    # one pool reused by the successive calls of a run (fits, LOSO, robustness, null): loky's
    # workers start fresh interpreters, so a new pool per call would re-import numpy/scipy
    ex = get_reusable_executor(max_workers=min(n, len(tasks)), timeout=IDLE_WORKER_SECONDS,
                               initializer=_worker_init, initargs=(os.getpid(),))
    try:
        futures = {ex.submit(func, t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            bar.update(1)
    except BaseException:
        # interrupted or failed: kill the workers and fail the queued fits, do not wait
        # (loky's manager thread settles every pending future itself)
        ex.shutdown(wait=False, kill_workers=True)
        raise
    return results  # type: ignore[return-value]


def _run_dask(tasks: list[FitTask], scheduler: str, bar: Any, func: Callable,
              connect_timeout: float) -> list[FitOutcome]:
    from hear_probes.dask_client import dask_client

    with dask_client(scheduler, timeout=connect_timeout, needed_by="--scheduler") as client:
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
