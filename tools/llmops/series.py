"""The LLM apps' figures as metric series for the anomaly detector (bot/monitors/anomaly.py).

At each check, every prompt label with at least `min_calls` calls in the trailing window gives
three points: its error rate, its latency p95 and its cost per call, named like the
Prometheus series the detector already watches (`llm.error_rate{label="production",
prompt="support-reply"}`). A sliding window smooths a few calls a minute into a level the
detector can learn (with its daily and weekly seasonality); a label with too few calls adds
no point (a gap, not a zero). Each series is about its prompt, so an anomaly joins the prompt's
other incidents (bot/incidents/correlation.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col

from tools.llmops.metrics import LlmMetrics
from tools.llmops.tables import LlmSpanRow

FIGURES = ("error_rate", "latency_p95_ms", "cost_per_call")
MAX_NAME = 200  # the sample table's series column; a longer name is left out, never cut
_NAME = re.compile(r'^llm\.[a-z0-9_]+\{label="(?P<label>[^"]*)",prompt="(?P<prompt>[^"]*)"\}$')


def series_name(figure: str, prompt: str, label: str) -> str:
    clean = {k: v.replace("\\", "").replace('"', "") for k, v in (("l", label), ("p", prompt))}
    return f'llm.{figure}{{label="{clean["l"]}",prompt="{clean["p"]}"}}'


def prompt_of(series: str) -> str | None:
    """The prompt an LLM series is about; None for any other series."""
    match = _NAME.match(series)
    return match.group("prompt") if match else None


@dataclass(frozen=True)
class LlmSeries:
    metrics: LlmMetrics
    window: timedelta = timedelta(minutes=15)
    min_calls: int = 10

    def read(self, now: datetime) -> dict[str, float]:
        """This check's value of every LLM series that has enough calls."""
        values: dict[str, float] = {}
        stats = self.metrics.grouped(
            ("prompt", "label"),
            now - self.window,
            col(LlmSpanRow.start) <= now,
            col(LlmSpanRow.prompt_name) != "",
        )
        for group in stats:
            prompt, label = group.key["prompt"], group.key["label"]
            if not prompt or group.calls < self.min_calls:
                continue
            label = label or "(none)"
            figures = {"error_rate": group.error_rate, "latency_p95_ms": group.p95_ms}
            if not group.unpriced:
                figures["cost_per_call"] = group.cost / group.calls
            for figure, value in figures.items():
                name = series_name(figure, prompt, label)
                if value is not None and len(name) <= MAX_NAME:
                    values[name] = float(value)
        return values
