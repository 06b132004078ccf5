"""Helpers of the fault-injection tests (tests/test_faults.py): slow tasks, process tables."""

from __future__ import annotations

import os
import time
from pathlib import Path


def sleepy(task):
    """A 'fit' that records its worker pid in $FAULT_PIDS and then sleeps for two minutes."""
    folder = Path(os.environ["FAULT_PIDS"])
    (folder / str(os.getpid())).touch()
    time.sleep(120)
    return task


def children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (Linux /proc), zombies excluded."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(cond, timeout: float, step: float = 0.05) -> bool:
    """Poll ``cond()`` until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())
