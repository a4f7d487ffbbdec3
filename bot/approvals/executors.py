"""Which process executes an approved action, and whether that process is still alive.

When an approval is claimed `executing`, the claiming process records its host, pid and
start time (psutil's `create_time`). A later start of opsbot asks `is_dead()`:

- same host: dead when the pid is gone, or belongs to another process (a different start
  time: the pid was reused after a reboot or a wrap-around);
- another host: we cannot look at its processes, so it is dead once it has been executing
  longer than a configured limit (the longest action timeout plus a grace).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime

import psutil

# psutil's create_time is a float computed from boot time and ticks; the same process may
# read back a few milliseconds apart, a reused pid differs by far more
_START_TOLERANCE = 0.5


@dataclass(frozen=True)
class Executor:
    host: str
    pid: int
    started: float  # the process's start, epoch seconds

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def this_process() -> Executor:
    return Executor(
        host=socket.gethostname(), pid=psutil.Process().pid, started=psutil.Process().create_time()
    )


def _same_process_running(pid: int, started: float) -> bool:
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False  # killed, not yet reaped by its parent: it runs nothing any more
        return abs(proc.create_time() - started) < _START_TOLERANCE
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:  # it exists; we may not look closer, so assume it is ours
        return True


def is_dead(
    executor: Executor | None,
    *,
    started_at: datetime | None,
    now: datetime,
    remote_limit_seconds: float,
) -> bool:
    """True when the process that claimed an execution is certainly gone. An execution
    with no recorded executor (claimed by a version before executors were recorded) counts
    as remote."""
    if executor is not None and executor.host == socket.gethostname():
        return not _same_process_running(executor.pid, executor.started)
    if started_at is None:
        return True  # claimed by an old version that recorded neither executor nor time
    return (now - started_at).total_seconds() > remote_limit_seconds
