"""The LLM regression monitor on stored calls and the change log (SQLite and PostgreSQL): a
label move followed by errors is one `LLMRegression` finding per move with before/after
figures; a move with no calls after it, a move followed by a new move, a recovery and a model
change; calls that name no label counted by version."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.monitors.llm_regression import LlmRegressionMonitor
from core.clock import utcnow
from tools.changes.store import ChangeKind, ChangeStore
from tools.llmops.prices import PriceTable
from tools.llmops.regression import RegressionConfig
from tools.llmops.spans import LlmCall
from tools.llmops.store import SpanStore
from tools.llmops.watch import RegressionWatch

_ids = itertools.count(1)
CONFIG = RegressionConfig(min_calls=20, alpha=0.01, window=timedelta(minutes=60))


def _calls(
    n: int, start: datetime, *, errors: int = 0, latency: float = 300.0, version: int = 1,
    label: str = "production", model: str = "claude-sonnet-5-5", prompt: str = "support",
) -> list[LlmCall]:  # fmt: skip
    calls = []
    for i in range(n):
        k = next(_ids)
        fields: dict[str, Any] = {
            "trace_id": f"{k:032x}", "span_id": f"{k:016x}", "start": start + timedelta(seconds=i),
            "duration_ms": latency + (i % 7) * 3, "error": i < errors, "model": model,
            "operation": "chat", "input_tokens": 800, "output_tokens": 200,
            "service": "support-app", "prompt_name": prompt, "prompt_version": version,
            "prompt_label": label,
        }  # fmt: skip
        calls.append(LlmCall(**fields))
    return calls


def _move(changes: ChangeStore, at: datetime, before: str, after: str, prompt: str = "support"):  # type: ignore[no-untyped-def]
    return changes.record(
        ChangeKind.PROMPT_LABEL, prompt, summary=f"production of {prompt} moved",
        before=before, after=after, who="U1", via="approval", source="opsbot", at=at,
    )  # fmt: skip


@pytest.fixture
def parts(engine: Any) -> tuple[SpanStore, ChangeStore, LlmRegressionMonitor]:
    changes = ChangeStore(engine)
    watch = RegressionWatch(
        engine, PriceTable.with_overrides({}), CONFIG,
        lambda since: changes.list(since, kind=ChangeKind.PROMPT_LABEL),
    )  # fmt: skip
    return SpanStore(engine), changes, LlmRegressionMonitor(watch)


def test_errors_after_a_label_move_are_one_finding_per_move(parts: Any) -> None:
    spans, changes, monitor = parts
    now = utcnow()
    moved_at = now - timedelta(minutes=10)
    spans.add(_calls(40, moved_at - timedelta(minutes=30), errors=1, version=1))
    change = _move(changes, moved_at, "production=v1", "production=v2")
    spans.add(_calls(40, moved_at + timedelta(seconds=5), errors=22, version=2))
    [finding] = monitor.run(now)
    assert finding.alertname == "LLMRegression" and finding.monitor == "llm_regression"
    assert finding.labels == {
        "prompt": "support", "label": "production", "version": "2",
        "previous_version": "1", "change": str(change.id),
    }  # fmt: skip
    assert finding.title.startswith(
        "support (production) got worse after production of support v1 → v2: error rate 2.5% "
        "→ 55.0%, p="
    )
    fields = dict(finding.fields)
    assert fields["calls"] == "40 before, 40 after"
    assert "REGRESSED" in fields["error_rate"] and "REGRESSED" not in fields["latency_ms"]
    assert finding.severity == "critical"  # more than half the calls fail
    figures = {f["name"]: f for f in finding.details["regression"]["figures"]}
    assert figures["error_rate"]["p_value"] < 1e-6
    # the same move next cycle is the same incident
    assert [f.fingerprint for f in monitor.run(now)] == [finding.fingerprint]


def test_a_move_with_no_calls_after_it_is_not_alerted_and_says_why(parts: Any) -> None:
    spans, changes, monitor = parts
    now = utcnow()
    spans.add(_calls(40, now - timedelta(minutes=40), errors=0))
    _move(changes, now - timedelta(minutes=2), "production=v1", "production=v2")
    assert monitor.run(now) == []
    [check] = monitor.last
    assert check.comparison.after_calls == 0 and check.comparison.before_calls == 40
    assert "40 before the change and 0 after it" in str(check.comparison.skipped)


def test_the_label_moving_again_ends_the_watch_of_the_move_before(parts: Any) -> None:
    spans, changes, monitor = parts
    now = utcnow()
    first = now - timedelta(minutes=20)
    spans.add(_calls(40, first - timedelta(minutes=30), version=1))
    _move(changes, first, "production=v1", "production=v2")
    spans.add(_calls(40, first + timedelta(seconds=5), errors=30, version=2))
    assert len(monitor.run(now)) == 1
    _move(changes, now - timedelta(seconds=30), "production=v2", "production=v1")  # rolled back
    assert monitor.run(now) == []
    [check] = monitor.last
    assert (check.move.version, check.move.previous_version) == (1, 2)
    assert check.comparison.skipped is not None


def test_recent_calls_that_recovered_clear_the_finding(parts: Any) -> None:
    spans, changes, monitor = parts
    now = utcnow()
    moved_at = now - timedelta(hours=3)
    spans.add(_calls(40, moved_at - timedelta(minutes=40), version=1))
    _move(changes, moved_at, "production=v1", "production=v2")
    spans.add(_calls(40, moved_at + timedelta(seconds=5), errors=30, version=2))
    assert monitor.run(moved_at + timedelta(minutes=30))  # bad then
    spans.add(_calls(40, now - timedelta(minutes=20), errors=0, version=2))  # fixed upstream
    assert monitor.run(now) == []  # the last hour after the move is as good as before it


def test_calls_without_a_label_count_by_the_version_the_label_held(parts: Any) -> None:
    """The Langfuse SDK sends the prompt's name and version, no label."""
    spans, changes, monitor = parts
    now = utcnow()
    moved_at = now - timedelta(minutes=10)
    spans.add(_calls(40, moved_at - timedelta(minutes=30), version=1, label=""))
    spans.add(_calls(30, moved_at - timedelta(minutes=30), version=7, label="", errors=30))
    _move(changes, moved_at, "production=v1", "production=v2")
    spans.add(_calls(40, moved_at + timedelta(seconds=5), version=2, label="", latency=2000))
    [finding] = monitor.run(now)
    assert "mean latency" in finding.title and "error rate" not in finding.title
    assert monitor.last[0].comparison.before_calls == 40  # not the other version's calls


def test_a_new_model_for_a_prompt_label_is_a_change_too(parts: Any) -> None:
    spans, _, monitor = parts
    now = utcnow()
    switched = now - timedelta(minutes=10)
    spans.add(_calls(40, switched - timedelta(minutes=30), model="claude-haiku-4-5"))
    spans.add(_calls(40, switched, model="claude-opus-5", latency=1500))
    [finding] = monitor.run(now)
    assert finding.labels == {
        "prompt": "support", "label": "production", "version": "1", "previous_version": "1",
        "model": "claude-opus-5", "previous_model": "claude-haiku-4-5",
    }  # fmt: skip
    names = {f["name"] for f in finding.details["regression"]["figures"] if f["regressed"]}
    assert names == {"latency_ms", "cost_per_call"}
    assert "calls switched from the model claude-haiku-4-5 to claude-opus-5" in finding.summary


def test_a_model_that_came_with_a_label_move_is_the_moves_finding_only(parts: Any) -> None:
    spans, changes, monitor = parts
    now = utcnow()
    moved_at = now - timedelta(minutes=10)
    spans.add(_calls(40, moved_at - timedelta(minutes=30), model="claude-haiku-4-5"))
    _move(changes, moved_at, "production=v1", "production=v2")
    spans.add(_calls(40, moved_at + timedelta(seconds=5), model="claude-opus-5", version=2,
                     errors=25))  # fmt: skip
    [finding] = monitor.run(now)
    assert "model" not in finding.labels and finding.labels["version"] == "2"


def test_the_monitor_is_scheduled_only_while_otlp_intake_is_on(make_runtime: Any) -> None:
    off = make_runtime(console_mode=False)
    assert "llm_regression" not in off.incidents.monitors().names()
    on = make_runtime(console_mode=False, otlp_token="otlp-token-0123456789")
    assert "llm_regression" in on.incidents.monitors().names()


def test_opsbot_llm_regressions_reports_each_watched_change(
    make_runtime: Any, data_dir: Any
) -> None:
    import json

    from tests.bot_process import opsbot

    runtime = make_runtime()
    now = utcnow()
    moved_at = now - timedelta(minutes=10)
    runtime.llm_spans.add(_calls(40, moved_at - timedelta(minutes=30), version=1))
    _move(runtime.changes, moved_at, "production=v1", "production=v2")
    runtime.llm_spans.add(_calls(5, moved_at + timedelta(seconds=5), version=2, errors=5))
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    shown = opsbot("llm", "regressions", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "- production of support v1 → v2 at " in shown.stdout
    assert (
        "not compared, too few calls to compare: 40 before the change and 5 after it; at "
        "least 30 are needed on each side (LLM_REGRESSION_MIN_CALLS)"
    ) in shown.stdout
    lenient = opsbot("llm", "regressions", "--json", env=env | {"LLM_REGRESSION_MIN_CALLS": "5"})
    assert lenient.returncode == 0, lenient.stderr
    [change] = json.loads(lenient.stdout)["changes"]
    assert (change["kind"], change["version"], change["previous_version"]) == ("label", 2, 1)
    assert change["regressed"] == ["error_rate"] and change["skipped"] is None
    bad = opsbot("llm", "regressions", env=env | {"LLM_REGRESSION_ALPHA": "2"})
    assert bad.returncode != 0 and "LLM_REGRESSION_ALPHA" in bad.stderr


def test_feedback_that_falls_after_a_move_is_a_regression(engine: Any) -> None:
    """The 👍/👎 scores stored on each side's traces (ScoreStore.values, as the runtime wires
    it): errors and latency unchanged, the users' verdict drops."""
    from tools.llmops.scores import FEEDBACK, ScoreStore, parse_score

    changes, scores = ChangeStore(engine), ScoreStore(engine)
    watch = RegressionWatch(
        engine, PriceTable.with_overrides({}), CONFIG,
        lambda since: changes.list(since, kind=ChangeKind.PROMPT_LABEL), scores.values,
    )  # fmt: skip
    spans, monitor = SpanStore(engine), LlmRegressionMonitor(watch)
    now = utcnow()
    moved_at = now - timedelta(minutes=10)
    before = _calls(40, moved_at - timedelta(minutes=30), version=1)
    _move(changes, moved_at, "production=v1", "production=v2")
    after = _calls(40, moved_at + timedelta(seconds=5), version=2)
    spans.add(before + after)
    for calls, liked in ((before, 36), (after, 8)):
        for i, call in enumerate(calls):
            score = {"trace_id": call.trace_id, "name": FEEDBACK, "value": i < liked}
            scores.record(parse_score(score | {"author": "U1"}), "slack")
    assert len(scores.values([c.trace_id for c in before])) == 40
    [finding] = monitor.run(now)
    figures = {f["name"]: f for f in finding.details["regression"]["figures"]}
    assert figures["feedback"]["regressed"] and not figures["error_rate"]["regressed"]
    assert figures["feedback"]["before"] == 0.9 and figures["feedback"]["after"] == 0.2
