"""The one place that opens a Dask client: a running scheduler or a local cluster.

Used by the timbre fits (``--scheduler``) and by ``hear-probes sweep``; Dask is optional
(``pip install 'hear-probes[dask]'``), so it is imported here, on first use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from hear_probes.errors import HearProbesError


def _distributed(needed_by: str):
    try:
        import distributed
    except ImportError as exc:
        raise HearProbesError(f"{needed_by} needs Dask distributed: "
                              "pip install 'hear-probes[dask]'") from exc
    return distributed


def open_client(scheduler: str | None, *, workers: int = 2, processes: bool = True,
                timeout: float = 20.0, needed_by: str = "--scheduler",
                as_default: bool = False) -> tuple:
    """A ``distributed.Client`` and the ``LocalCluster`` it runs on (``None`` for a scheduler).

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a
        ``LocalCluster`` of ``workers`` single-threaded workers.
    workers : int
        Workers of the local cluster.
    processes : bool
        Local workers as processes (talking over loopback TCP) or threads of this process.
    timeout : float
        Seconds to wait for the scheduler.
    needed_by : str
        What asks for Dask, for the error message when it is not installed.
    as_default : bool
        Make it Dask's default client (``distributed.as_completed`` and friends find it).

    Returns
    -------
    tuple
        ``(client, cluster)``; the caller closes both (or uses :func:`dask_client`).

    Raises
    ------
    HearProbesError
        Dask is not installed, or the scheduler cannot be reached (one line saying how to
        start one).
    """
    distributed = _distributed(needed_by)
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=f"{timeout}s",
                                        set_as_default=as_default)
        except (OSError, ValueError, TypeError) as exc:  # unreachable, or an address Dask rejects
            raise HearProbesError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                "'dask scheduler' and workers with 'dask worker ADDRESS', or drop --scheduler"
            ) from exc
        return client, None
    # worker processes talk over loopback TCP; threads in this process use inproc://
    where = {"host": "127.0.0.1"} if processes else {}
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                       processes=processes, dashboard_address=None, **where)
    return distributed.Client(cluster, set_as_default=as_default), cluster


@contextlib.contextmanager
def dask_client(scheduler: str | None, **kwargs) -> Iterator:
    """:func:`open_client` as a context manager: client and local cluster closed on exit."""
    client, cluster = open_client(scheduler, **kwargs)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=5)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=5)
