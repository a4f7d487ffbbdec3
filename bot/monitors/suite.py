"""Run every monitor once, timing each and keeping one monitor's failure to itself."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Protocol

from bot.monitors.samples import SampleStore
from core.errors import OpsbotError
from core.incidents import Finding, MonitorRun

log = logging.getLogger(__name__)


class NotDue(OpsbotError):
    """The monitor did not look this cycle (it runs less often); its incidents stay as
    they are, neither cleared nor resolved."""


class Monitor(Protocol):
    name: str

    def run(self, now: datetime) -> list[Finding]: ...


class MonitorSuite:
    def __init__(
        self,
        monitors: list[Monitor],
        store: SampleStore | None = None,
        retention: timedelta = timedelta(hours=2),
        prune_every: int = 20,
    ) -> None:
        self.monitors = monitors
        self.store = store
        self.retention = retention
        self.prune_every = prune_every
        self._cycles = 0

    def names(self) -> list[str]:
        return [m.name for m in self.monitors]

    def get(self, name: str) -> Monitor | None:
        return next((m for m in self.monitors if m.name == name), None)

    def run(self, now: datetime, only: set[str] | None = None) -> list[MonitorRun]:
        runs: list[MonitorRun] = []
        for monitor in self.monitors:
            if only is not None and monitor.name not in only:
                continue
            started = time.perf_counter()
            try:
                findings = monitor.run(now)
                runs.append(
                    MonitorRun(monitor.name, findings, True, None, time.perf_counter() - started)
                )
            except NotDue as exc:
                runs.append(
                    MonitorRun(monitor.name, [], False, None, time.perf_counter() - started)
                )
                log.debug("monitor %s skipped: %s", monitor.name, exc)
            except Exception as exc:  # that monitor could not look; the others still run
                log.warning("monitor %s failed: %s: %s", monitor.name, type(exc).__name__, exc)
                runs.append(
                    MonitorRun(
                        monitor.name,
                        [],
                        False,
                        f"{type(exc).__name__}: {exc}",
                        time.perf_counter() - started,
                    )
                )
        self._cycles += 1
        if self.store is not None and only is None and self._cycles % self.prune_every == 1:
            try:
                self.store.prune(now - self.retention)
            except Exception as exc:
                log.warning("could not prune monitor samples: %s", exc)
        return runs
