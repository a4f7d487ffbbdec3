"""The LLM apps' figures as anomaly series (tools/llmops/series.py), from real stored calls:
one series per prompt label and figure, no point for a label with too few calls, and a rise
in a prompt's error rate found by the anomaly monitor as an anomaly about that prompt."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.monitors.anomaly import AnomalyMonitor
from bot.monitors.samples import SampleStore
from tools.anomaly.detector import DetectorConfig
from tools.anomaly.states import DetectorStates
from tools.llmops.metrics import LlmMetrics
from tools.llmops.prices import PriceTable
from tools.llmops.series import LlmSeries, prompt_of, series_name
from tools.llmops.spans import LlmCall
from tools.llmops.store import SpanStore

NOW = datetime.now(UTC).replace(microsecond=0)
PROMPT = "support-reply"


def call(at: datetime, n: int, error: bool = False, **over: Any) -> LlmCall:
    fields: dict[str, Any] = {
        "trace_id": f"{n:032x}",
        "span_id": f"{n:016x}",
        "start": at,
        "duration_ms": 100.0 + n % 50,
        "error": error,
        "model": "claude-sonnet-5-5",
        "operation": "chat",
        "input_tokens": 1000,
        "output_tokens": 200,
        "service": "support-bot",
        "prompt_name": PROMPT,
        "prompt_version": 3,
        "prompt_label": "production",
    }
    return LlmCall(**(fields | over))


def test_series_per_prompt_label_with_enough_calls(engine: Any) -> None:
    store = SpanStore(engine)
    at = NOW - timedelta(minutes=5)
    calls = [call(at, i, error=i < 2) for i in range(20)]  # 2 errors of 20
    calls += [call(at, 100 + i, prompt_label="canary") for i in range(5)]  # too few
    calls += [call(at, 200 + i, prompt_name="") for i in range(30)]  # no prompt
    calls += [call(NOW - timedelta(hours=1), 300 + i, error=True) for i in range(30)]  # too old
    calls += [call(at, 400 + i, prompt_name="summarise", model="my-llm") for i in range(10)]
    store.add(calls)
    values = LlmSeries(
        LlmMetrics(engine, PriceTable.with_overrides({})), timedelta(minutes=15), 10
    ).read(NOW)
    production = {"label": "production", "prompt": PROMPT}
    assert values[series_name("error_rate", PROMPT, "production")] == 0.1
    assert values[series_name("latency_p95_ms", PROMPT, "production")] == 118.0
    # 1,000 tokens in at $2 and 200 out at $10 per million
    cost = values[series_name("cost_per_call", PROMPT, "production")]
    assert abs(cost - 0.004) < 1e-12
    assert not any('label="canary"' in name for name in values)
    # an unpriced model: error rate and latency, no cost per call
    assert series_name("error_rate", "summarise", "production") in values
    assert series_name("cost_per_call", "summarise", "production") not in values
    assert len(values) == 5
    assert prompt_of(series_name("error_rate", PROMPT, "production")) == production["prompt"]
    assert prompt_of("cpu") is None and prompt_of('node_load1{instance="a"}') is None


def test_an_error_rate_rise_is_an_anomaly_about_the_prompt(engine: Any, tmp_path: Path) -> None:
    store = SpanStore(engine)
    config = DetectorConfig(learning_points=60)
    feed = LlmSeries(LlmMetrics(engine, PriceTable.with_overrides({})), timedelta(minutes=15), 10)
    monitor = AnomalyMonitor(
        SampleStore(engine), DetectorStates(engine, config), (), tmp_path, feeds=[feed]
    )
    rng = random.Random(3)
    start = NOW - timedelta(hours=4)
    n = 0
    found: list[Any] = []
    for minute in range(180):
        at = start + timedelta(minutes=minute)
        rate = 0.05 if minute < 150 else 0.6  # the regression starts at minute 150
        batch = [call(at, n + i, error=rng.random() < rate) for i in range(12)]
        n += len(batch)
        store.add(batch)
        findings = monitor.run(at + timedelta(seconds=30))
        if minute < 150:
            assert findings == [], (minute, findings)
        found.extend(findings)
        if found:
            break
    assert found, "the error-rate rise was not found"
    finding = found[0]
    assert finding.alertname == "MetricAnomaly"
    assert finding.labels == {"series": series_name("error_rate", PROMPT, "production")}
    assert finding.details["entities"] == [f"prompt:{PROMPT}"]
    assert minute < 160  # within ten minutes of the onset


def test_a_failing_feed_leaves_the_others_watched(engine: Any, tmp_path: Path) -> None:
    class Broken:
        def read(self, now: datetime) -> dict[str, float]:
            raise RuntimeError("database gone")

    class Fixed:
        def read(self, now: datetime) -> dict[str, float]:
            return {"a": 1.0, "b": float("nan")}

    samples = SampleStore(engine)
    monitor = AnomalyMonitor(
        samples, DetectorStates(engine, DetectorConfig()), (), tmp_path, feeds=[Broken(), Fixed()]
    )
    assert monitor.run(NOW) == []
    recent = samples.recent(["a", "b"], NOW - timedelta(minutes=1))
    assert [v for _, v in recent["a"]] == [1.0] and "b" not in recent  # NaN is a gap
