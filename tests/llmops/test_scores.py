"""`POST /scores` on a real HTTP server (SQLite and PostgreSQL): a score joins its trace's
calls in the metrics, a second score of the same author replaces the first, bad bodies get
every reason and store nothing; the mean feedback the regression monitor reads; retention."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.http.app import create_app
from bot.http.otlp import otlp_routes
from bot.http.scores import score_routes
from bot.http.server import HttpServer
from core.access import Caller
from core.clock import utcnow
from tests.llmops.conftest import TOKEN
from tests.llmops.otlp_data import export, span
from tools.llmops.scores import Feedback, Score, ScoreStore
from tools.llmops.spans import LlmCall
from tools.llmops.store import SpanStore

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CALLER = Caller(user="U1", via="cli")


@pytest.fixture
def base(runtime: Any) -> Iterator[str]:
    deps = runtime.http_deps()
    server = HttpServer(create_app(deps, [*otlp_routes(deps), *score_routes(deps)]), "127.0.0.1", 0)
    port = server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _send_spans(base: str, *spans: Any) -> None:
    body = export(*spans).SerializeToString()
    headers = {**AUTH, "Content-Type": "application/x-protobuf"}
    assert httpx.post(f"{base}/v1/traces", content=body, headers=headers).status_code == 200


def _score(base: str, body: Any, **kw: Any) -> httpx.Response:
    return httpx.post(f"{base}/scores", json=body, headers=kw.pop("headers", AUTH), timeout=10)


def test_a_score_before_its_trace_is_kept_and_joins_it_later(base: str, runtime: Any) -> None:
    prompt = {"opsbot.prompt.name": "faq", "opsbot.prompt.version": 2}
    first, second = span(prompt), span(prompt)
    trace = first.trace_id.hex()
    answer = _score(base, {"trace_id": trace, "name": "user_feedback", "value": True})
    assert answer.status_code == 201, answer.text
    assert answer.json()["trace_known"] is False and answer.json()["replaced"] is False
    _send_spans(base, first, second)
    other = second.trace_id.hex()
    answer = _score(base, {"trace_id": other.upper(), "name": "user_feedback", "value": 0,
                           "comment": "wrong runbook"})  # fmt: skip
    assert answer.json()["trace_known"] is True
    assert answer.json()["score"]["trace_id"] == other  # hex ids are kept in lower case
    # another score name is not feedback: it does not move the mean
    _score(base, {"trace_id": trace, "name": "accuracy", "value": 0.1})
    result = runtime.toolbox.get("prompt_metrics").invoke({"prompt": "faq"}, CALLER)
    (group,) = result.data["groups"]
    assert (group["feedback_mean"], group["feedback_count"]) == (0.5, 2)
    assert "feedback 0.50 (2 score(s))" in result.text


def test_a_second_vote_of_the_same_author_replaces_the_first(base: str, runtime: Any) -> None:
    call = span({"opsbot.prompt.name": "faq"})
    _send_spans(base, call)
    vote = {"trace_id": call.trace_id.hex(), "name": "user_feedback", "author": "U7"}
    assert _score(base, vote | {"value": True}).json()["replaced"] is False
    assert _score(base, vote | {"value": False}).json()["replaced"] is True
    _score(base, vote | {"value": True, "author": "U8"})  # another person: another score
    assert runtime.llm_scores.count() == 2
    result = runtime.toolbox.get("prompt_metrics").invoke({"prompt": "faq"}, CALLER)
    assert result.data["groups"][0]["feedback_mean"] == 0.5


TRACE = "ab" * 16


@pytest.mark.parametrize(
    ("body", "reasons"),
    [
        ([1, 2], ["must be a JSON object"]),
        ({"trace_id": "xyz", "name": "f", "value": 1}, ["trace_id must be 32 hex characters"]),
        ({"trace_id": "0" * 32, "name": "f", "value": 1}, ["not all zero"]),
        ({"trace_id": TRACE, "value": 1}, ["name must be a non-empty string"]),
        ({"trace_id": TRACE, "name": "f"}, ["value is required"]),
        ({"trace_id": TRACE, "name": "f", "value": "good"}, ["value must be a boolean or"]),
        ({"trace_id": TRACE, "name": "f", "value": 1e12}, ["finite number within"]),
        ({"trace_id": TRACE, "name": "f", "value": 1, "span_id": "12"}, ["span_id must be 16"]),
        (
            {"trace_id": TRACE, "name": "f", "value": 1, "comment": "x" * 2001},
            ["comment is longer"],
        ),
        ({"trace_id": TRACE, "name": "f", "value": 1, "score": 3}, ["unknown field 'score'"]),
        ({"trace_id": 5, "name": "", "value": None}, ["trace_id must", "name must", "value must"]),
    ],
)
def test_bad_scores_get_every_reason_and_store_nothing(
    base: str, runtime: Any, body: Any, reasons: list[str]
) -> None:
    answer = _score(base, body)
    assert answer.status_code == 400, answer.text
    for reason in reasons:
        assert reason in answer.json()["error"]
    assert runtime.llm_scores.count() == 0


def test_not_json_a_big_body_and_the_token(base: str, runtime: Any) -> None:
    url = f"{base}/scores"
    answer = httpx.post(url, content=b"{nope", headers=AUTH)
    assert answer.status_code == 400 and "not JSON" in answer.json()["error"]
    big = b'{"comment": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    answer = httpx.post(url, content=big, headers=AUTH)
    assert answer.status_code == 413 and "HTTP_MAX_BODY_BYTES" in answer.json()["error"]
    body = {"trace_id": TRACE, "name": "f", "value": 1}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert _score(base, body, headers=headers).status_code == 401
    assert runtime.llm_scores.count() == 0


def test_off_without_the_token(make_runtime: Any) -> None:
    deps = make_runtime().http_deps()
    server = HttpServer(create_app(deps, score_routes(deps)), "127.0.0.1", 0)
    port = server.start()
    try:
        answer = httpx.post(f"http://127.0.0.1:{port}/scores", json={}, headers=AUTH)
    finally:
        server.stop()
    assert answer.status_code == 404 and "set OTLP_TOKEN" in answer.json()["error"]


def _call(label: str, minutes_ago: int, **fields: Any) -> LlmCall:
    values: dict[str, Any] = {
        "trace_id": os.urandom(16).hex(), "span_id": os.urandom(8).hex(),
        "start": utcnow() - timedelta(minutes=minutes_ago), "duration_ms": 10.0, "error": False,
        "model": "claude-haiku-4-5", "operation": "chat", "input_tokens": 1, "output_tokens": 1,
        "service": "app", "prompt_name": "faq", "prompt_version": 1, "prompt_label": label,
    }  # fmt: skip
    return LlmCall(**(values | fields))


def test_mean_feedback_per_prompt_label_and_window(engine: Any) -> None:
    spans, scores = SpanStore(engine), ScoreStore(engine)
    old = [_call("production", 120) for _ in range(4)]  # before the move: all 👍
    new = [_call("production", 10) for _ in range(4)]  # after: one 👍 in four
    staging = [_call("staging", 10)]
    two_calls = _call("production", 5)  # one trace with two calls: its score counts once
    twin = _call("production", 5, trace_id=two_calls.trace_id)
    spans.add([*old, *new, *staging, two_calls, twin])
    for call in old:
        scores.record(Score(call.trace_id, "user_feedback", 1.0), "http")
    for n, call in enumerate(new):
        scores.record(Score(call.trace_id, "user_feedback", 1.0 if n == 0 else 0.0), "http")
    scores.record(Score(staging[0].trace_id, "user_feedback", 1.0), "http")
    scores.record(Score(two_calls.trace_id, "user_feedback", 0.0), "http")
    # a score on one span of a trace reaches that span only (here: another prompt's call)
    scoped = _call("production", 5)
    elsewhere = _call("production", 5, prompt_name="other", trace_id=scoped.trace_id)
    spans.add([scoped, elsewhere])
    scores.record(
        Score(elsewhere.trace_id, "user_feedback", 1.0, span_id=elsewhere.span_id), "http"
    )
    now = utcnow()
    hour = timedelta(hours=1)
    assert scores.mean_feedback("faq", "production", now - 3 * hour, now - hour) == Feedback(4, 1.0)
    assert scores.mean_feedback("faq", "production", now - hour, now) == Feedback(5, 0.2)
    assert scores.mean_feedback("faq", None, now - hour, now) == Feedback(6, round(2 / 6, 4))
    assert scores.mean_feedback("faq", "canary", now - hour, now) == Feedback(0, None)
    assert scores.mean_feedback("other", None, now - hour, now) == Feedback(1, 1.0)


def test_scores_are_pruned_by_age_and_count(engine: Any) -> None:
    scores = ScoreStore(engine, retention=timedelta(days=30), max_rows=3)
    for n in range(5):
        scores.record(Score(f"{n + 1:032x}", "user_feedback", 1.0), "http")
    assert scores.prune() == 2  # the row cap keeps the newest three
    assert scores.prune(now=utcnow() + timedelta(days=31)) == 3  # all older than the retention
    assert scores.count() == 0
