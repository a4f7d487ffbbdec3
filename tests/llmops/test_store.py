"""The span store and its metrics on SQLite and PostgreSQL: one transaction per request,
retention by age and by count, percentiles, cost from the price table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.settings import SettingsError, load_settings
from core.clock import utcnow
from tools.bounded import PRUNE_BATCH
from tools.llmops.metrics import LlmMetrics, percentile
from tools.llmops.prices import DEFAULT_PRICES, Price, PriceTable
from tools.llmops.spans import LlmCall
from tools.llmops.store import SpanStore


def _call(n: int, *, age: timedelta = timedelta(minutes=5), **fields: Any) -> LlmCall:
    values: dict[str, Any] = {
        "trace_id": f"{n:032x}", "span_id": f"{n:016x}", "start": utcnow() - age,
        "duration_ms": 100.0, "error": False, "model": "claude-haiku-4-5", "operation": "chat",
        "input_tokens": 1000, "output_tokens": 100, "service": "app", "prompt_name": "faq",
        "prompt_version": 1, "prompt_label": "production",
    }  # fmt: skip
    return LlmCall(**(values | fields))


def test_a_failed_write_stores_nothing(engine: Any) -> None:
    store = SpanStore(engine)
    too_long = _call(2, model="m" * 300)  # PostgreSQL refuses it; SQLite keeps any length
    if engine.dialect.name == "postgresql":
        with pytest.raises(Exception):  # noqa: B017 - the driver's error, whichever it is
            store.add([_call(1), too_long])
        assert store.count() == 0
    assert store.add([_call(3), _call(3)]) == 1  # the same ids twice: stored once


def test_old_spans_are_pruned_in_bounded_batches(engine: Any) -> None:
    store = SpanStore(engine, retention=timedelta(days=30), max_rows=10**6)
    store.add([_call(10**6 + 1), _call(10**6 + 2)])  # a process's first write prunes
    store.add([_call(n, age=timedelta(days=31)) for n in range(PRUNE_BATCH + 7)])  # 2nd: not
    assert store.count() == PRUNE_BATCH + 9
    assert store.prune() == PRUNE_BATCH + 7  # two batches: a full one, then the rest
    assert store.count() == 2


def test_the_row_cap_deletes_the_oldest(engine: Any) -> None:
    store = SpanStore(engine, retention=timedelta(days=30), max_rows=3)
    store.add([_call(100)])  # a process's first write prunes, the next ones not
    store.add([_call(n, age=timedelta(hours=10 - n)) for n in range(5)])
    assert store.prune() == 3
    with engine.connect() as conn:
        kept = sorted(int(r[0], 16) for r in conn.exec_driver_sql("select span_id from llm_span"))
    assert kept == [3, 4, 100]


def test_prompt_metrics_per_version_label_and_model(engine: Any) -> None:
    store = SpanStore(engine)
    calls = [_call(n, duration_ms=float(100 * (n + 1))) for n in range(20)]  # 100..2000 ms
    calls += [_call(100 + n, prompt_version=2, error=n < 3, model="claude-sonnet-5-5-20260929")
              for n in range(4)]  # fmt: skip
    calls += [_call(200, prompt_name="other"), _call(201, age=timedelta(days=2))]
    calls += [_call(300, prompt_version=2, model="llama-3", input_tokens=None)]
    store.add(calls)
    metrics = LlmMetrics(engine, PriceTable.with_overrides({}))
    groups = {
        (s.key["version"], s.key["model"]): s
        for s in metrics.prompt("faq", utcnow() - timedelta(hours=24))
    }
    assert set(groups) == {
        (1, "claude-haiku-4-5"),
        (2, "claude-sonnet-5-5-20260929"),
        (2, "llama-3"),
    }
    first = groups[(1, "claude-haiku-4-5")]
    assert (first.calls, first.errors, first.p50_ms, first.p95_ms) == (20, 0, 1000.0, 1900.0)
    assert first.cost == pytest.approx(20 * (1000 * 1.0 + 100 * 5.0) / 1e6)
    second = groups[(2, "claude-sonnet-5-5-20260929")]  # priced by its prefix
    assert (second.calls, second.error_rate, second.input_tokens) == (4, 0.75, 4000)
    assert second.cost == pytest.approx(4 * (1000 * 2.0 + 100 * 10.0) / 1e6)
    unpriced = groups[(2, "llama-3")]
    assert (unpriced.unpriced, unpriced.cost, unpriced.input_tokens) == (["llama-3"], 0.0, 0)
    only_v2 = metrics.prompt("faq", utcnow() - timedelta(hours=24), version=2)
    assert {s.key["version"] for s in only_v2} == {2}
    assert len(metrics.prompt("faq", utcnow() - timedelta(days=3))) == 3
    by_service = metrics.usage("service", utcnow() - timedelta(hours=24))
    assert [(s.key, s.calls) for s in by_service] == [({"service": "app"}, 26)]


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.95) == 5.0
    assert (percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.95)) == (
        2.0,
        4.0,
    )


def test_prices_from_the_setting_override_the_defaults() -> None:
    settings = load_settings(
        llm_prices='{"claude-haiku-4-5": {"input": 0.5, "output": 2}, "gpt-x": {"input": 1, "output": 1}}'
    )
    table = PriceTable.with_overrides(settings.llm_prices)
    assert table.price("claude-haiku-4-5-20251001") == Price(0.5, 2.0)
    assert table.price("gpt-x") == Price(1.0, 1.0)
    assert table.price("claude-sonnet-5-5") == DEFAULT_PRICES["claude-sonnet-5-5"]
    assert table.cost("unknown", 10, 10) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1]", "must be a JSON object"),
        ('{"m": {"input": 1}}', "m: give exactly input and output"),
        ('{"m": {"input": -1, "output": 2}}', "m: input and output must be numbers >= 0"),
    ],
)
def test_bad_prices_stop_the_start_with_the_reason(value: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(llm_prices=value)
    assert "LLM_PRICES" in str(caught.value) and problem in str(caught.value)
