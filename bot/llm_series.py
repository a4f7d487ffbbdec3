"""The LLM calls as Prometheus series on `GET /metrics`: per prompt, label, version and model
over the last LLM_METRICS_WINDOW_MINUTES, read from the span store at each scrape.

Gauges, since they describe a sliding window: `opsbot_llm_calls`, `opsbot_llm_errors`,
`opsbot_llm_input_tokens`, `opsbot_llm_output_tokens`, `opsbot_llm_cost_usd`, and the
latency summary `opsbot_llm_latency_ms{quantile="0.5"|"0.95"}`. Cardinality is bounded:
the LLM_METRICS_MAX_SERIES groups with the most calls get their own labels, the rest are
summed into one group labelled `prompt="(other)"` (no latency), and
`opsbot_llm_series_dropped` says how many groups were folded so. A failed read is logged
and leaves the LLM series out of that scrape; the other series are still served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.metrics import REGISTRY
from core.clock import utcnow

if TYPE_CHECKING:
    from tools.llmops.metrics import LlmMetrics, Stats

log = logging.getLogger(__name__)

LABELS = ["prompt", "label", "version", "model"]
KEYS = ("prompt", "label", "version", "model")
OTHER = "(other)"
FIGURES = {
    "calls": ("opsbot_llm_calls", "LLM calls in the window"),
    "errors": ("opsbot_llm_errors", "Failed LLM calls in the window"),
    "input_tokens": ("opsbot_llm_input_tokens", "Input tokens in the window"),
    "output_tokens": ("opsbot_llm_output_tokens", "Output tokens in the window"),
    "cost": ("opsbot_llm_cost_usd", "Cost in US dollars of the priced calls in the window"),
}


def _labels(stats: Stats) -> list[str]:
    key = stats.key
    return [str(key["prompt"] or ""), str(key["label"] or ""), str(key["version"] or ""),
            str(key["model"] or "")]  # fmt: skip


class LlmGauges(Collector):
    def __init__(self, metrics: Callable[[], LlmMetrics], window: timedelta, max_series: int):
        self.metrics = metrics
        self.window = window
        self.max_series = max_series

    def collect(self) -> Iterator[Any]:
        try:
            groups = self.metrics().grouped(KEYS, utcnow() - self.window)
        except Exception as exc:
            log.warning("LLM series left out of /metrics: %s", exc)
            return
        kept, rest = groups[: self.max_series], groups[self.max_series :]
        families = {
            figure: GaugeMetricFamily(name, f"{help_} ({self.window} window)", labels=LABELS)
            for figure, (name, help_) in FIGURES.items()
        }
        latency = GaugeMetricFamily(
            "opsbot_llm_latency_ms", "LLM call latency quantiles in the window",
            labels=[*LABELS, "quantile"],
        )  # fmt: skip
        for stats in kept:
            labels = _labels(stats)
            for figure, family in families.items():
                family.add_metric(labels, float(getattr(stats, figure)))
            for quantile, value in (("0.5", stats.p50_ms), ("0.95", stats.p95_ms)):
                if value is not None:
                    latency.add_metric([*labels, quantile], value)
        if rest:
            other = [OTHER, "", "", ""]
            for figure, family in families.items():
                family.add_metric(other, float(sum(getattr(s, figure) for s in rest)))
        yield from families.values()
        yield latency
        dropped = GaugeMetricFamily(
            "opsbot_llm_series_dropped",
            f"LLM groups summed into prompt={OTHER!r} (over LLM_METRICS_MAX_SERIES)",
        )
        dropped.add_metric([], float(len(rest)))
        yield dropped


_installed: list[LlmGauges] = []


def install_llm_series(
    metrics: Callable[[], LlmMetrics], window: timedelta, max_series: int
) -> LlmGauges:
    """Serve the LLM series from this process's registry (replacing an earlier install)."""
    while _installed:
        REGISTRY.unregister(_installed.pop())
    series = LlmGauges(metrics, window, max_series)
    REGISTRY.register(series)
    _installed.append(series)
    return series
