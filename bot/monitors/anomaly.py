"""Anomalies in the host series opsbot already samples (cpu, memory, swap, disk:<mount>, …):
each series has a streaming detector whose state is stored (tools/anomaly/states.py), fed the
samples that arrived since its last look. "X is anomalous: value, expected range, since when"
opens an incident with a PNG of the recent window and its expected band; the finding goes
away, and the incident resolves after the usual clear checks, once the value is back in that
range. A series still in its learning period is reported by `series_anomalies`, never alerted.

Besides the host series and Prometheus queries it watches the series of `feeds`: the LLM
apps' error rate, latency and cost per prompt label (tools/llmops/series.py) when traces are
received, and each model's mean prediction and error (tools/modelperf/series.py) when
predictions are. Runs after the host monitor in the suite, so it sees this cycle's sample."""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.monitors.samples import SampleStore
from core.incidents import WARNING, Finding
from tools.anomaly.queries import Query, QueryFailure, RangeQuery, backfill, read_queries
from tools.anomaly.states import DetectorStates
from tools.anomaly.watch import ALERT_THRESHOLD, Verdict, feed
from tools.infra.prometheus import PrometheusError
from tools.llmops.series import prompt_of
from tools.modelperf.series import model_of

log = logging.getLogger(__name__)
LOOK_BACK = timedelta(hours=2)  # samples older than this are pruned by the suite anyway


def _fmt(value: float) -> str:
    return f"{value:.1f}" if abs(value) < 1e5 else f"{value:.3g}"


class SeriesFeed(Protocol):
    def read(self, now: datetime) -> dict[str, float]:
        """This check's value of each series the feed has (a series absent now is a gap)."""
        ...


class AnomalyMonitor:
    name = "anomaly"

    def __init__(
        self,
        samples: SampleStore,
        states: DetectorStates,
        series: tuple[str, ...],
        plots: Path | None = None,
        threshold: float = ALERT_THRESHOLD,
        queries: dict[str, str] | None = None,
        query: Query | None = None,
        range_query: RangeQuery | None = None,
        step: timedelta = timedelta(seconds=60),
        feeds: Sequence[SeriesFeed] = (),
    ) -> None:
        self.samples = samples
        self.states = states
        self.series = series
        self.plots = plots
        self.threshold = threshold
        self.queries = queries or {}
        self.query = query  # promql -> samples, when PROMETHEUS_URL is set
        self.range_query = range_query  # for back-filling a series the detector has not seen
        self.step = step  # the check interval: the spacing of back-filled points
        self.feeds = tuple(feeds)

    def _read_queries(self, now: datetime) -> tuple[list[str], list[Finding]]:
        """Store this check's value of each configured Prometheus query; the series read and
        a finding per query that failed."""
        if not self.queries:
            return [], []
        if self.query is None:
            failures = [
                QueryFailure(name, promql, "PROMETHEUS_URL is not set")
                for name, promql in sorted(self.queries.items())
            ]
            values: dict[str, float] = {}
        else:
            values, failures = read_queries(self.queries, self.query)
            self._backfill(sorted(values), {f.name for f in failures}, now)
        finite = {k: v for k, v in values.items() if math.isfinite(v)}  # NaN: a gap
        self.samples.record(now, finite)
        return sorted(values), [self._query_failing(f) for f in failures]

    def _backfill(self, names: list[str], failed: set[str], now: datetime) -> None:
        """Feed each detector the history it missed (a new query, or opsbot was down) from
        one range query per query, before this check's value; a failure is logged and the
        series goes on from now."""
        if self.range_query is None:
            return
        for query_name, promql in sorted(self.queries.items()):
            if query_name in failed:
                continue
            mine = [n for n in names if n == query_name or n.startswith(query_name + "{")]
            states = {n: self.states.load(n) for n in mine}
            last_seen = {n: st.last_at for n, st in states.items()}
            if all(at is not None and now - at <= 2 * self.step for at in last_seen.values()):
                continue  # seen lately: nothing missed
            try:
                history = backfill(query_name, promql, last_seen, self.range_query, now, self.step)
            except PrometheusError as exc:
                log.warning("could not back-fill the anomaly query %s: %s", query_name, exc)
                continue
            for name, points in history.items():
                if points:
                    feed(states[name], points, self.threshold)
                    self.states.save(states[name])
                    log.info("anomaly query %s: back-filled %d points", name, len(points))

    def _query_failing(self, failure: QueryFailure) -> Finding:
        return Finding(
            monitor=self.name,
            alertname="AnomalyQueryFailing",
            title=f"The anomaly query {failure.name} cannot be read: {failure.error}"[:300],
            severity=WARNING,
            kind="prometheus",
            labels={"query": failure.name},
            summary=f"ANOMALY_QUERIES {failure.name} = {failure.query}: {failure.error}. Its "
            "series is not watched until the query works.",
            fields=[("query", failure.query), ("error", failure.error)],
        )

    def _read_feeds(self, now: datetime) -> list[str]:
        """Store this check's value of every feed's series; a feed that fails is logged and
        its series have a gap."""
        names: list[str] = []
        for source in self.feeds:
            try:
                values = source.read(now)
            except Exception as exc:  # one feed must not blind the others
                log.warning("anomaly feed %s failed: %s", type(source).__name__, exc)
                continue
            finite = {k: v for k, v in values.items() if math.isfinite(v)}
            self.samples.record(now, finite)
            names.extend(sorted(finite))
        return names

    def run(self, now: datetime) -> list[Finding]:
        read, findings = self._read_queries(now)
        watched = [*self.series, *read, *self._read_feeds(now)]
        recent = self.samples.recent(watched, now - LOOK_BACK, limit=10_000)
        for name in watched:
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
            details=({"plot": plot} if plot else {}) | self._entities(verdict.series),
        )

    def _entities(self, series: str) -> dict[str, list[str]]:
        """A host series is about this host: its anomaly joins the host's other incidents
        (bot/incidents/correlation.py); a Prometheus query names no entity of its own."""
        if series in self.series:
            return {"entities": [f"host:{os.uname().nodename.lower()}"]}
        prompt, model = prompt_of(series), model_of(series)
        if prompt:
            return {"entities": [f"prompt:{prompt}"]}
        return {"entities": [f"model:{model}"]} if model else {}
