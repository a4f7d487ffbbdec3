"""Run every monitor once, timing each and keeping one monitor's failure to itself.

A monitor that cannot look (Prometheus unreachable, a probe crashing) is not "all clear":
its incidents are neither cleared nor resolved. When it fails `sustain` full cycles in a row
it becomes a finding of its own, from the `monitor-health` pseudo-monitor ("Prometheus at …
is unreachable since …"), which resolves when the monitor looks again. The streak is kept in
memory: after a restart it counts again from zero."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.monitors.samples import SampleStore
from core.errors import OpsbotError
from core.incidents import WARNING, Finding, MonitorRun
from tools.redact import redact

HEALTH = "monitor-health"

log = logging.getLogger(__name__)


class NotDue(OpsbotError):
    """The monitor did not look this cycle (it runs less often); its incidents stay as
    they are, neither cleared nor resolved."""


class Monitor(Protocol):
    name: str

    def run(self, now: datetime) -> list[Finding]: ...


@dataclass
class Streak:
    """A monitor's failures in a row: since when, how many, the last error."""

    since: datetime
    count: int
    error: str


class MonitorSuite:
    def __init__(
        self,
        monitors: list[Monitor],
        store: SampleStore | None = None,
        retention: timedelta = timedelta(hours=2),
        prune_every: int = 20,
        sustain: int = 3,
    ) -> None:
        self.monitors = monitors
        self.sustain = max(1, sustain)
        self._failing: dict[str, Streak] = {}
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
        if only is None:
            runs.append(self._health(runs, now))
        self._cycles += 1
        if self.store is not None and only is None and self._cycles % self.prune_every == 1:
            try:
                self.store.prune(now - self.retention)
            except Exception as exc:
                log.warning("could not prune monitor samples: %s", exc)
        return runs

    def _health(self, runs: list[MonitorRun], now: datetime) -> MonitorRun:
        """The `monitor-health` run of a full cycle: one finding per monitor that has failed
        `sustain` cycles in a row. A skipped monitor (not due) keeps its streak as it is."""
        for run in runs:
            if run.ok:
                self._failing.pop(run.name, None)
            elif run.error is not None:
                streak = self._failing.get(run.name)
                if streak is None:
                    self._failing[run.name] = Streak(now, 1, run.error)
                else:
                    streak.count += 1
                    streak.error = run.error
        findings = [
            self._finding(name, streak)
            for name, streak in self._failing.items()
            if streak.count >= self.sustain
        ]
        return MonitorRun(HEALTH, findings, True, None, 0.0)

    def _finding(self, name: str, streak: Streak) -> Finding:
        monitor = self.get(name)
        target = redact(str(getattr(monitor, "target", "") or ""))
        error = redact(streak.error)[:300]
        since = streak.since.strftime("%Y-%m-%d %H:%M UTC")
        if target:
            alertname = f"{name.capitalize()}Unreachable"
            title = f"{target} is unreachable since {since}: {error}"
        else:
            alertname = "MonitorFailing"
            title = f"The {name} check has failed since {since}: {error}"
        return Finding(
            monitor=HEALTH,
            alertname=alertname,
            title=title,
            severity=WARNING,
            kind="monitor",
            labels={"monitor": name},
            summary=(
                f"The {name} check could not look {streak.count} times in a row; until it "
                "can, its incidents are neither updated nor resolved."
            ),
            fields=[("failed runs", str(streak.count)), ("since", since), ("error", error)],
        )
