"""Whether other jobs shared the CPU while a benchmark ran, measured, not guessed.

:class:`CpuWatch` reads the machine's busy CPU time (``/proc/stat``) and this process's own
CPU time around a block; what the machine spent beyond this process is the other jobs' share,
in cores on average over the block. A benchmark whose other jobs used under a quarter of a
core is recorded as run on an idle machine; otherwise its wall times are lower bounds of the
speed. (The load average cannot tell: a benchmark that follows another one sees its load.)
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: Average cores used by other jobs below which the machine counts as idle.
IDLE_OTHER_CORES = 0.25


def _busy_seconds() -> float | None:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuWatch:
    """Context manager: ``other_cores`` (other jobs' mean cores) and ``idle`` after the block."""

    def __enter__(self) -> CpuWatch:
        self._busy, self._own, self._wall = _busy_seconds(), time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self._wall
        own = time.process_time() - self._own
        busy = _busy_seconds()
        if busy is None or self._busy is None or wall <= 0:
            self.other_cores = None
        else:
            self.other_cores = max(0.0, (busy - self._busy - own) / wall)

    @property
    def idle(self) -> bool:
        """True when other jobs used under :data:`IDLE_OTHER_CORES` cores on average."""
        return self.other_cores is not None and self.other_cores < IDLE_OTHER_CORES

    def record(self) -> dict:
        """The fields a benchmark's ``machine`` block records."""
        return {"idle": self.idle, "other_jobs_mean_cores": self.other_cores,
                "idle_rule": f"other jobs below {IDLE_OTHER_CORES} core on average (/proc/stat "
                             "busy time minus this process's CPU time)"}
