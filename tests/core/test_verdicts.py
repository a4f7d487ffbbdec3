"""Offline answers conclude: verdict first, evidence, next step, from real tool outputs
(real psutil readings, a real local HTTP endpoint, real files, the shipped runbooks)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.access import Caller
from graphs.offline.compose import clip, compose
from graphs.offline.verdicts import Outcome, verdict_of
from graphs.offline.verdicts.runbooks import SHIPPED, best_hit
from tests.incidents.httpd import Answer, Scripted
from tools.infra.levels import Thresholds
from tools.infra.tools import InfraConfig, build_infra_tools

CALLER = Caller(user="tester", via="test")
RUNBOOKS = Path(__file__).resolve().parents[2] / "knowledge" / "runbooks"


def _run(name: str, args: dict, **config: object) -> Outcome:
    tools = {t.name: t for t in build_infra_tools(InfraConfig(**config))}  # type: ignore[arg-type]
    result = tools[name].invoke(args, CALLER)
    return Outcome(name, args, result.text, result.data, result.ok)


@pytest.fixture
def web() -> Iterator[Scripted]:
    server = Scripted({"/healthz": Answer(200, "ok")})
    yield server
    server.stop()


def test_a_tls_question_about_a_plain_http_endpoint_says_there_is_no_certificate(
    web: Scripted,
) -> None:
    outcome = _run("check_endpoint", {"target": "web"}, endpoints={"web": web.url("/healthz")})
    assert outcome.ok and outcome.data[0]["tls_days_left"] is None
    answer = compose([outcome], "when does the TLS certificate of web expire?")
    first = answer.splitlines()[0]
    assert first.startswith("web is up.")
    assert (
        f"web is plain http ({web.url('/healthz')}): there is no TLS certificate to check." in first
    )
    # the same result for a health question says nothing about certificates
    plain = compose([outcome], "is web up?")
    assert "certificate" not in plain and plain.startswith("web is up.")
    assert "• web: HTTP 200 in" in plain


def test_a_down_endpoint_is_the_verdict_with_the_runbook_as_next_step() -> None:
    outcome = _run(
        "check_endpoint", {"target": "closed"}, endpoints={"closed": "http://127.0.0.1:9/x"}
    )
    answer = compose([outcome], "cert of closed?")
    verdict, evidence, step, details = answer.split("\n\n", 3)
    assert verdict.startswith("closed is down (connection failed")
    assert "there is no TLS certificate to check" in verdict
    assert evidence.startswith("Evidence:\n• closed: DOWN, connection failed")
    assert step.startswith("Next step: Check the service behind closed")
    assert "runbook *HTTP endpoint down* › Diagnosis" in step
    assert details.startswith("Details:\nclosed (http://127.0.0.1:9/x) is DOWN")


def test_one_answer_across_tools_puts_the_worst_first() -> None:
    healthy = Thresholds(
        cpu=1000, load_per_core=1000, memory=100, swap=100, disk=100, inodes=100, warn_margin=0
    )
    host = _run("host_health", {}, thresholds=healthy)
    down = _run("check_endpoint", {"target": "shop"}, endpoints={"shop": "http://127.0.0.1:9/"})
    answer = compose([host, down], "is shop up and how is the box?")
    lines = answer.splitlines()
    assert lines[0].startswith("shop is down (") and "is healthy: every figure" in lines[0]
    assert "• shop: DOWN" in answer and "• CPU " in answer and "• memory " in answer
    assert answer.index("• shop: DOWN") < answer.index("• CPU ")
    assert "Details:\n" in answer and "Host " in answer  # both tools' own text, after


def test_a_full_disk_on_the_host_is_named_with_what_to_ask_next() -> None:
    host = _run(
        "host_health",
        {},
        thresholds=Thresholds(
            cpu=1000, load_per_core=1000, memory=100, swap=100, inodes=100, disk=0.5, warn_margin=0
        ),
    )
    verdict = verdict_of(host, "how is the box?")
    assert verdict.level == "bad"
    assert re.search(r"needs attention: disk / CRIT", verdict.headline)
    assert any(e.startswith("disk / ") and "(threshold 0.5%)" in e for e in verdict.evidence)
    assert verdict.next_step is not None
    assert verdict.next_step.startswith("ask `disk usage of /` to see what fills it")


def test_disk_usage_verdict_names_the_largest_entries(tmp_path: Path) -> None:
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "blob").write_bytes(b"x" * 300_000)
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "a").write_bytes(b"x" * 10)
    outcome = _run("disk_usage", {"path": str(tmp_path), "top": 5})
    verdict = verdict_of(outcome, "")
    assert verdict.evidence[0].startswith(f"{tmp_path}/big: ")
    assert verdict.headline.startswith(("Disk is fine:", "Disk is filling up:"))


def test_top_processes_verdict_names_the_top_consumer() -> None:
    outcome = _run("top_processes", {"by": "memory", "limit": 3}, process_interval=0.05)
    verdict = verdict_of(outcome, "top 3 by memory")
    top = outcome.data[0]
    assert verdict.headline.startswith(f"The top process by memory is PID {top['pid']}")
    assert len(verdict.evidence) == 3


def test_a_failed_tool_is_said_plainly() -> None:
    outcome = _run("check_endpoint", {"target": "nope"}, endpoints={"web": "http://127.0.0.1:9/"})
    assert not outcome.ok
    answer = compose([outcome], "is nope up?")
    assert answer.startswith("I could not run check_endpoint: 'nope' is not a configured endpoint")
    assert "Details:" not in answer


def test_next_steps_cite_runbooks_that_ship() -> None:
    titles = {}
    for path in RUNBOOKS.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", text, re.M)
        assert title is not None
        titles[title.group(1).strip()] = set(re.findall(r"^## (.+)$", text, re.M))
    for title, section in SHIPPED.values():
        assert section in titles.get(title, set()), (title, section)


def test_clip_says_what_it_left_out_and_closes_code_fences() -> None:
    text = "head\n```\n" + "\n".join(f"line {i}" for i in range(30)) + "\n```"
    cut = clip(text, 5)
    assert cut.splitlines()[-2:] == ["```", "… (28 more lines)"]
    assert clip("a\nb", 5) == "a\nb" and clip("a\nb", None) == "a\nb"


def test_the_closest_runbook_is_the_highest_scored_hit() -> None:
    hits = [
        {"title": "B", "section": "Impact", "source": "b.md", "score": 0.61, "relevance": 0.7},
        {"title": "A", "section": "Mitigation", "source": "a.md", "score": 0.50, "relevance": 1.0},
    ]
    assert best_hit(hits) is hits[1]
    answer = compose([Outcome("search_runbooks", {}, "…", {"hits": hits}, True)], "")
    assert answer.startswith("The closest runbook is *A* › Mitigation (a.md).")
    assert "Next step: Follow *A* › Mitigation (a.md)." in answer
