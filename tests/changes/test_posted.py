"""Changes posted from outside: every problem named at once, nothing stored half-way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.clock import iso, utcnow
from core.errors import Invalid
from tools.changes.posted import PostedChange
from tools.changes.store import ChangeKind, ChangeStore


def test_a_deploy_with_only_a_service_gets_a_summary() -> None:
    posted = PostedChange.parse({"service": "checkout", "version": "1.4.2"})
    assert (posted.kind, posted.target, posted.summary) == (
        ChangeKind.DEPLOY, "checkout", "deploy of checkout 1.4.2",
    )  # fmt: skip
    assert posted.at is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "must be a JSON object"),
        ({}, "service (what changed) is required"),
        ({"service": 7}, "target must be a string"),
        ({"service": "a", "kind": "deploys"}, "unknown change kind 'deploys'"),
        ({"service": "a", "link": "javascript:alert(1)"}, "link must be an http(s) URL"),
        ({"service": "a", "colour": "red"}, "unknown field(s) colour"),
        ({"service": "a", "at": "yesterday"}, "at must be an ISO 8601 time"),
        ({"service": "a", "who": "x\u0000y"}, "who holds control characters"),
        ({"service": "a" * 301}, "target is longer than 300"),
    ],
)
def test_bad_bodies_name_the_problem(body: Any, problem: str) -> None:
    with pytest.raises(Invalid) as caught:
        PostedChange.parse(body)
    assert problem in str(caught.value)


def test_every_problem_is_listed_together() -> None:
    with pytest.raises(Invalid) as caught:
        PostedChange.parse({"kind": "nope", "link": "ftp://x"})
    text = str(caught.value)
    assert "service (what changed) is required" in text and "unknown change kind" in text
    assert "link must be an http(s) URL" in text


def test_clock_skew_ahead_is_refused_and_a_small_one_is_kept() -> None:
    now = utcnow()
    with pytest.raises(Invalid, match="ahead of opsbot's clock"):
        PostedChange.parse({"service": "a", "at": iso(now + timedelta(minutes=30))}, now=now)
    with pytest.raises(Invalid, match="more than 7 days old"):
        PostedChange.parse({"service": "a", "at": iso(now - timedelta(days=8))}, now=now)
    slightly = PostedChange.parse({"service": "a", "at": iso(now + timedelta(minutes=2))}, now=now)
    assert slightly.at is not None and slightly.at > now


def test_recorded_as_posted_with_its_time(engine: Any) -> None:
    store = ChangeStore(engine)
    at = utcnow() - timedelta(minutes=10)
    body = {"service": "checkout", "version": "1.4.2", "who": "ci", "at": iso(at),
            "link": "https://ci.example/run/9"}  # fmt: skip
    change = PostedChange.parse(body).record(store, via="http")
    assert (change.after, change.who, change.via, change.source) == (
        "1.4.2",
        "ci",
        "http",
        "posted",
    )
    assert abs((change.at - at).total_seconds()) < 1
    assert store.list(utcnow() - timedelta(hours=1)) == [change]
