"""The one Dask client setup of hear-probes: a running scheduler, or a local cluster.

Both users of Dask go through :func:`dask_client`: ``hear-probes sweep`` (a ``LocalCluster``
unless ``--scheduler`` names a running one) and the timbre probe's ``--scheduler`` (a running
scheduler only). Dask is optional (``pip install 'hear-probes[dask]'``); without it, or when
the scheduler cannot be reached, the error is one line that says how to fix it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from hear_probes.errors import HearProbesError

INSTALL_HINT = "pip install 'hear-probes[dask]'"


@contextlib.contextmanager
def dask_client(scheduler: str | None, *, workers: int = 2, processes: bool = True,
                timeout: float = 10.0, what: str = "--scheduler") -> Iterator[Any]:
    """A ``distributed.Client`` for the duration of the block, closed (with its cluster) after.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); None starts a ``LocalCluster``
        of ``workers`` single-threaded workers, processes or threads, on loopback only.
    workers, processes : int, bool
        The local cluster (unused with ``scheduler``).
    timeout : float
        Seconds to wait for the scheduler.
    what : str
        What needs Dask, for the error messages (e.g. "hear-probes sweep").

    Raises
    ------
    HearProbesError
        Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise HearProbesError(f"{what} needs Dask distributed: {INSTALL_HINT}") from exc
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:  # unreachable, or an address Dask rejects
            raise HearProbesError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                "'dask scheduler' and workers with 'dask worker ADDRESS', or drop --scheduler"
            ) from exc
    else:
        # worker processes talk over loopback TCP; threads in this process use inproc://
        where = {"host": "127.0.0.1"} if processes else {}
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                               dashboard_address=None, **where)
        client = Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=5)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
