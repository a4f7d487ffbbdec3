"""Build the incident service, the monitor suite and the triage dependencies from a Runtime.

Kept apart from `bot/runtime.py` so the runtime only grows by a few lines, and so every
piece is reached lazily: building the service touches neither the agent nor Chroma.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.incidents.service import IncidentService, ServiceConfig
from bot.incidents.spec import EngineConfig

if TYPE_CHECKING:
    from bot.monitors.anomaly import SeriesFeed
    from bot.monitors.suite import Monitor, MonitorSuite
    from bot.runtime import Runtime
    from graphs.triage_types import TriageDeps
    from tools.llmops.series import LlmSeries
    from tools.modelperf.series import ModelSeries

# (alertname, text, runbook_url) -> the runbook to cite: title, section, source, excerpt,
# match, warning, url (tools/runbooks/choice.py:RunbookChoice)
RunbookLookup = Callable[[str, str, str | None], dict[str, Any] | None]

log = logging.getLogger(__name__)


def build_service(runtime: Runtime, *, background: bool = True) -> IncidentService:
    s = runtime.settings
    config = ServiceConfig(
        interval=float(s.check_interval_seconds),
        engine=EngineConfig(
            autoresolve_checks=s.incident_autoresolve_checks,
            reopen_minutes=s.incident_reopen_minutes,
            correlate_minutes=s.incident_correlation_minutes,
        ),
        background=background,
        heartbeats=tuple(s.heartbeat_alerts),
    )
    return IncidentService(
        runtime.engine,
        config,
        monitors=lambda: build_monitors(runtime),
        triage_deps=lambda: triage_deps(runtime),
        approvals=lambda: runtime.approvals,
        tool_lookup=lambda name: runtime.toolbox.get(name),
        suppressor=runtime.maintenance.store.suppress,
    )


def llm_feeds(runtime: Runtime) -> list[LlmSeries]:
    """The LLM apps' series for the anomaly detector, while traces are received."""
    s = runtime.settings
    if s.otlp_token is None or not s.anomaly_llm_window_minutes:
        return []
    from tools.llmops.series import LlmSeries

    window = timedelta(minutes=s.anomaly_llm_window_minutes)
    return [LlmSeries(runtime.llm_metrics, window, s.anomaly_llm_min_calls)]


def model_feeds(runtime: Runtime) -> list[ModelSeries]:
    """The models' series for the anomaly detector, while predictions are received."""
    s = runtime.settings
    if s.modelperf_token is None or not s.anomaly_model_window_minutes:
        return []
    from tools.modelperf.series import ModelSeries

    window = timedelta(minutes=s.anomaly_model_window_minutes)
    return [ModelSeries(runtime.model_perf.store, window, s.anomaly_model_min_outcomes)]


def build_monitors(runtime: Runtime) -> MonitorSuite:
    from bot.incidents.heartbeats import HeartbeatStore
    from bot.monitors.drift import DriftMonitor, checks_in_child
    from bot.monitors.endpoints import EndpointConfig, EndpointMonitor
    from bot.monitors.heartbeat import HeartbeatMonitor
    from bot.monitors.host import HostConfig, HostMonitor
    from bot.monitors.prometheus import PrometheusMonitor
    from bot.monitors.samples import SampleStore
    from bot.monitors.suite import MonitorSuite

    s = runtime.settings
    infra = runtime.infra_config()
    store = SampleStore(runtime.engine)
    monitors: list[Monitor] = [
        HostMonitor(
            store,
            HostConfig(
                thresholds=infra.thresholds,
                interval=float(s.check_interval_seconds),
                sustain=s.monitor_sustain_samples,
                forecast_hours=s.disk_forecast_hours,
            ),
            sampler=infra.sampler,
        )
    ]
    queries = runtime.anomaly_queries
    feeds: list[SeriesFeed] = [*llm_feeds(runtime), *model_feeds(runtime)]
    if s.anomaly_series or queries or feeds:  # after the host monitor: this cycle's samples
        from bot.monitors.anomaly import AnomalyMonitor

        query = range_query = None
        if s.prometheus_url:
            from tools.infra.prometheus import query as prometheus_query
            from tools.infra.prometheus import query_range

            url = s.prometheus_url
            query = lambda promql: prometheus_query(url, promql)  # noqa: E731
            range_query = lambda promql, end, window, step: query_range(  # noqa: E731
                url, promql, end, window, step
            )
        monitors.append(
            AnomalyMonitor(
                store,
                runtime.anomaly_states,
                tuple(s.anomaly_series),
                runtime.data_dir / "plots",
                queries=queries,
                query=query,
                range_query=range_query,
                step=timedelta(seconds=s.check_interval_seconds),
                feeds=feeds,
            )
        )
    if s.log_sources:
        from bot.monitors.logs import LogMonitor
        from tools.logs.watch import LogWatcher

        files = tuple(p for p in s.log_sources if not p.startswith(("journal:", "loki:")))
        if files:  # journal units and Loki streams are searched, not followed by the monitor
            monitors.append(LogMonitor(LogWatcher(runtime.engine), files))
    if s.endpoints:
        monitors.append(
            EndpointMonitor(
                store,
                EndpointConfig(
                    endpoints=dict(s.endpoints),
                    timeout=s.endpoint_timeout_seconds,
                    tls_warn_days=s.tls_warn_days,
                    interval=float(s.check_interval_seconds),
                    sustain=s.monitor_sustain_samples,
                ),
            )
        )
    if s.prometheus_url:
        monitors.append(PrometheusMonitor(s.prometheus_url))
    if s.heartbeat_alerts:
        beats = HeartbeatStore(runtime.engine)
        names = tuple(s.heartbeat_alerts)
        monitors.append(HeartbeatMonitor(beats, names, s.heartbeat_timeout_seconds))
    if s.otlp_token:  # LLM calls arrive only while OTLP intake is on
        from bot.monitors.llm_regression import LlmRegressionMonitor

        monitors.append(LlmRegressionMonitor(runtime.llm_regression))
    # the checks run in a child process (numpy, scipy and pandas stay out of the server)
    monitors.append(
        DriftMonitor(
            lambda: checks_in_child(runtime.child_settings()),
            min_interval=float(s.drift_check_interval_seconds),
        )
    )
    from bot.monitors.model_performance import ModelPerformanceMonitor
    from bot.monitors.model_performance import checks_in_child as performance_checks

    monitors.append(
        ModelPerformanceMonitor(
            lambda: runtime.model_perf.store.count() > 0,
            lambda: performance_checks(runtime.child_settings()),
            min_interval=float(s.modelperf_check_interval_seconds),
        )
    )
    if s.model_fairness_features:
        from bot.monitors.model_fairness import ModelFairnessMonitor
        from bot.monitors.model_fairness import checks_in_child as fairness_checks

        monitors.append(
            ModelFairnessMonitor(
                lambda: runtime.model_perf.store.count() > 0,
                lambda: fairness_checks(runtime.child_settings()),
                min_interval=float(s.model_fairness_check_interval_seconds),
            )
        )
    retention = max(timedelta(hours=2), timedelta(seconds=40 * s.check_interval_seconds))
    return MonitorSuite(monitors, store, retention, sustain=s.monitor_sustain_samples)


def triage_deps(runtime: Runtime) -> TriageDeps:
    from bot.self_traces import SelfTraces
    from graphs.triage_types import TriageDeps

    return TriageDeps(
        toolbox=runtime.toolbox,
        model=runtime.model,
        runbook_lookup=runbook_lookup(runtime),
        catalogue=runtime.remediation,
        request_approval=runtime.incidents.request_approval,
        prompt=lambda: incident_prompt(runtime),
        recent_changes=lambda since: runtime.changes.list(since, limit=50),
        recorder=SelfTraces(runtime.llm_spans) if runtime.settings.llm_self_traces else None,
    )


def incident_prompt(runtime: Runtime) -> str:
    """The production version of the incident-summary prompt from the prompt registry, or
    the built-in default when the registry cannot serve it."""
    from graphs.prompts import INCIDENT_SUMMARY_PROMPT, INCIDENT_SUMMARY_PROMPT_NAME

    try:
        view = runtime.prompt_server.fetch(INCIDENT_SUMMARY_PROMPT_NAME, label="production").view
        return str(view.template) or INCIDENT_SUMMARY_PROMPT
    except Exception as exc:
        log.warning("incident summary prompt from the registry unavailable: %s", exc)
        return INCIDENT_SUMMARY_PROMPT


def runbook_lookup(runtime: Runtime) -> RunbookLookup:
    """(alertname, text, runbook_url) -> runbook dict, chosen by `tools/runbooks/choice.py`:
    the alert's runbook_url, then the runbooks naming the alert, then by meaning."""
    from tools.runbooks.choice import RunbookChooser

    chooser: list[RunbookChooser] = []  # built on first use: the index opens lazily

    def lookup(alertname: str, text: str, url: str | None) -> dict[str, Any] | None:
        if not chooser:
            chooser.append(RunbookChooser(runtime.runbooks))
        found = chooser[0].choose(alertname, text, url)
        return found.to_dict() if found is not None else None

    return lookup
