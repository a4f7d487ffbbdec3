"""Anomalies in the host series opsbot already samples (cpu, memory, swap, disk:<mount>, …):
each series has a streaming detector whose state is stored (tools/anomaly/states.py), fed the
samples that arrived since its last look. "X is anomalous: value, expected range, since when"
opens an incident with a PNG of the recent window and its expected band; the finding goes
away, and the incident resolves after the usual clear checks, once the value is back in that
range. A series still in its learning period is reported by `series_anomalies`, never alerted.

Runs after the host monitor in the suite, so it sees this cycle's sample."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from pathlib import Path

from bot.monitors.samples import SampleStore
from core.incidents import WARNING, Finding
from tools.anomaly.states import DetectorStates
from tools.anomaly.watch import ALERT_THRESHOLD, Verdict, feed

log = logging.getLogger(__name__)
LOOK_BACK = timedelta(hours=2)  # samples older than this are pruned by the suite anyway


def _fmt(value: float) -> str:
    return f"{value:.1f}" if abs(value) < 1e5 else f"{value:.3g}"


class AnomalyMonitor:
    name = "anomaly"

    def __init__(
        self,
        samples: SampleStore,
        states: DetectorStates,
        series: tuple[str, ...],
        plots: Path | None = None,
        threshold: float = ALERT_THRESHOLD,
    ) -> None:
        self.samples = samples
        self.states = states
        self.series = series
        self.plots = plots
        self.threshold = threshold

    def run(self, now: datetime) -> list[Finding]:
        recent = self.samples.recent(self.series, now - LOOK_BACK, limit=10_000)
        findings = []
        for name in self.series:
            state = self.states.load(name)
            opened_before = state.anomalous_since
            verdict = feed(state, recent.get(name, []), self.threshold)
            self.states.save(state)
            if verdict.anomalous and verdict.value is not None:
                plot = self._plot_path(name)
                if plot is not None and opened_before is None:  # drawn once, when it opens
                    self._draw(plot, name, recent.get(name, []), verdict)
                shown = str(plot) if plot is not None and plot.exists() else None
                findings.append(self._finding(verdict, shown))
        return findings

    def _plot_path(self, name: str) -> Path | None:
        if self.plots is None:
            return None
        return self.plots / f"anomaly-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"

    def _draw(
        self, path: Path, name: str, points: list[tuple[datetime, float]], verdict: Verdict
    ) -> None:
        from tools.anomaly.plot import plot_anomaly

        try:
            plot_anomaly(name, points, verdict.band, verdict.anomalous_since, path)
        except Exception as exc:  # the incident matters more than its picture
            log.warning("anomaly plot of %s not drawn: %s", name, exc)

    def _finding(self, verdict: Verdict, plot: str | None) -> Finding:
        assert verdict.value is not None and verdict.anomalous_since is not None
        since = f"{verdict.anomalous_since:%Y-%m-%d %H:%M UTC}"
        expected = f"{_fmt(verdict.band[0])}–{_fmt(verdict.band[1])}" if verdict.band else "n/a"
        fields = [("value", _fmt(verdict.value)), ("expected", expected), ("since", since)]
        if plot:
            fields.append(("plot", plot))
        return Finding(
            monitor=self.name,
            alertname="MetricAnomaly",
            title=f"{verdict.series} is anomalous: {_fmt(verdict.value)}, expected {expected}, "
            f"since {since}",
            severity=WARNING,
            kind="host",
            labels={"series": verdict.series},
            summary=(
                f"{verdict.series} left the range it was expected in ({expected}) at {since} "
                f"and is {_fmt(verdict.value)} now. Not a threshold: the detector learned this "
                "series' usual level and daily or weekly pattern."
            ),
            fields=fields,
            details={"plot": plot} if plot else {},
        )
