"""The approval feed, in process, on SQLite and PostgreSQL, against the Slack emulator: which
changes are recorded (in the approval's own transaction), two readers delivering each row
once and in order, a crashed reader's claim taken over, failed deliveries retried, a card
deleted in Slack not blocking the rest."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.approvals import ApprovalEvents, announced
from bot.approvals.tables import Approval
from bot.settings import load_settings
from bot.slack.approval_feed import ApprovalFeed, slack_place
from bot.storage.db import session
from core.access import Caller
from core.approvals import ApprovalView
from core.clock import utcnow
from tests.emulators.slack import SlackEmulator
from tests.slack.stack import Stack, TestRuntime, counting_remediation, start_stack

CHANNEL = "C0FEED"
TEAM = "T0G9PQBBK"


@pytest.fixture
def stack(
    tmp_path: Path, slack_emulator: SlackEmulator, database_url: str | None
) -> Iterator[Stack]:
    settings: dict[str, Any] = {"database_url": database_url} if database_url else {}
    built = start_stack(tmp_path, slack_emulator, **settings)
    built.runtime.slack.approval_feed.stop()  # the tests drive their own readers
    yield built
    built.close()


def _request(
    stack: Stack, thread_ts: str, call: str, *, card: bool = True, service: str = "web"
) -> ApprovalView:
    """A pending approval in a Slack thread, with its card posted (as a chat turn would).
    Identical actions share one pending approval, so concurrent ones name other services."""
    runtime = stack.runtime
    tool = runtime.toolbox.get("run_remediation")
    assert tool is not None
    args = {"action": "restart_service", "params": {"service": service}}
    view = runtime.approvals.request(
        thread_id=f"slack:{TEAM}:{CHANNEL}:{thread_ts}",
        tool_call_id=call,
        tool=tool,
        args=args,
        caller=Caller(user="U222", via="slack", channel=CHANNEL),
        preview=f"would restart {service}",
        risk=tool.risk_of(tool.parse(args)),
    )
    if card:
        runtime.slack.outbox.post_approval(view, CHANNEL, thread_ts)
    return view


def _feed(stack: Stack) -> ApprovalFeed:
    """A feed reader as each process runs one (its own cursor on the shared events)."""
    runtime = stack.runtime
    return ApprovalFeed(
        runtime.approvals,
        runtime.approval_flow,
        runtime.slack.outbox,
        runtime.slack.locks,
        ApprovalEvents(runtime.engine),
    )


def _card_ts(stack: Stack, approval_id: str) -> str:
    with session(stack.runtime.engine) as db:
        row = db.get(Approval, approval_id)
    assert row is not None and row.message_ts
    return row.message_ts


def _drain(*feeds: ApprovalFeed, rounds: int = 20) -> None:
    """Pump until nothing is left (rows waiting for a retry backoff excepted)."""
    for _ in range(rounds):
        if sum(feed.pump() for feed in feeds) == 0:
            return


def test_changes_are_recorded_for_slack_threads_only(
    tmp_path: Path, database_url: str | None
) -> None:
    settings: dict[str, Any] = {
        "data_dir": tmp_path,
        "approval_two_person_risk": "medium",
        "oncall_users": "U0A,U0B",
    }
    if database_url:
        settings["database_url"] = database_url
    runtime = TestRuntime(load_settings(**settings))
    tool = counting_remediation(tmp_path / "runs.log")
    runtime.extra_tools = [tool]
    request_approval = runtime.approvals.request

    def request(thread: str, call: str) -> ApprovalView:
        args = {"action": "restart_service", "params": {"service": "web"}}
        return request_approval(
            thread_id=thread,
            tool_call_id=call,
            tool=tool,
            args=args,
            caller=Caller(user="U222", via="slack"),
            preview="p",
            risk=tool.risk_of(tool.parse(args)),
        )

    events = runtime.approvals.events

    def kinds(view: ApprovalView) -> list[str]:
        return [e.kind for e in events.for_approval(view.id)]

    two = request("slack:T:C1:1.000001", "c1")  # medium risk: two approvers
    runtime.approval_flow.decide_and_resume(two.id, user="U0A", approve=True, via="slack")
    assert kinds(two) == ["pending"]
    runtime.approval_flow.decide_and_resume(two.id, user="U0B", approve=True, via="cli")
    assert kinds(two) == ["pending", "approved", "executed", "outcome"]
    with session(runtime.engine) as db:
        row = db.get(Approval, two.id)
    assert row is not None and row.decided_by == "U0B" and row.decided_via == "cli"

    rejected = request("slack:T:C1:1.000002", "c2")
    runtime.approval_flow.decide_and_resume(rejected.id, user="U0A", approve=False, via="cli")
    assert kinds(rejected) == ["rejected", "outcome"]

    expired = request("slack:T:C1:1.000003", "c3")
    with session(runtime.engine) as db:
        db.execute(
            update(Approval)
            .where(Approval.id == expired.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    assert runtime.approvals.pending() == []  # listing expires it, like `opsbot approvals`
    assert kinds(expired) == ["expired"]

    # a console conversation and an incident's action have no feed rows
    for thread, call in (("cli:abc", "c4"), ("incident:3", "c5")):
        other = request(thread, call)
        runtime.approval_flow.decide_and_resume(other.id, user="U0A", approve=False, via="cli")
        assert kinds(other) == []
    assert not announced("incident:3") and announced("slack:T:C:1.1")
    with pytest.raises(ValueError, match="unknown approval event kind 'bogus'"):
        events.record(two.id, "slack:T:C1:1.000001", "bogus")
    assert (tmp_path / "runs.log").read_text().count("restart_service") == 1
    runtime.close()


def test_slack_place_of_thread_ids() -> None:
    assert slack_place("slack:T:C1:1712.000100") == ("C1", "1712.000100")
    assert slack_place("slack:T:C1:1712.000100~aside") == ("C1", "1712.000100")
    assert slack_place("slack:T:C1:cmd-123") is None  # an /ops answer given privately
    assert slack_place("cli:abc") is None and slack_place(None) is None


def test_two_readers_deliver_each_change_once_and_in_order(stack: Stack) -> None:
    runtime, emu = stack.runtime, stack.emulator
    threads = [f"{int(time.time())}.{n:06d}" for n in range(100, 106)]
    views = [_request(stack, ts, f"call-{i}", service=f"web-{i}") for i, ts in enumerate(threads)]
    assert len({v.id for v in views}) == 6
    for view in views:
        runtime.approval_flow.decide_and_resume(view.id, user="U0ONCALL", approve=True, via="cli")
    assert len(stack.runs()) == 6  # not paused in a conversation: run directly, once each

    first = _feed(stack)
    second = _feed(stack)
    barrier = threading.Barrier(2)

    def run(feed: ApprovalFeed) -> None:
        barrier.wait()
        _drain(feed)

    workers = [threading.Thread(target=run, args=(f,)) for f in (first, second)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert first.events.backlog() == []
    for view, ts in zip(views, threads, strict=True):
        card = _card_ts(stack, view.id)
        updates = emu.calls_to("chat.update", channel=CHANNEL, ts=card)
        assert len(updates) == 1  # "approved" was superseded by "executed": one update
        shown = str(emu.message(CHANNEL, card)["blocks"])  # type: ignore[index]
        assert "Approved by <@U0ONCALL> from the command line" in shown and "Done." in shown
        assert "approval_approve" not in shown  # buttons gone
        replies = [m for m in emu.thread(CHANNEL, ts) if m["ts"] != card]
        assert len(replies) == 1 and "Approved by <@U0ONCALL>" in replies[0]["text"]
        # the card was updated before the outcome was posted
        post = next(c for c in emu.posts(CHANNEL, thread_ts=ts) if c.response["ts"] != card)
        assert updates[0].at <= post.at
        assert all(e.delivered_at for e in runtime.approvals.events.for_approval(view.id))


def test_a_crashed_readers_claim_is_taken_over_after_its_lease(stack: Stack) -> None:
    runtime, emu = stack.runtime, stack.emulator
    thread = f"{int(time.time())}.000200"
    view = _request(stack, thread, "call-crash")
    runtime.approval_flow.decide_and_resume(view.id, user="U0ONCALL", approve=False, via="cli")
    crashed = ApprovalEvents(runtime.engine, owner="crashed", lease=timedelta(seconds=0.5))
    oldest = crashed.oldest(view.id)
    assert oldest is not None and crashed.claim(oldest)  # ...and it dies without delivering
    feed = _feed(stack)
    assert feed.pump() == 0  # held by the crashed reader: nothing, and nothing out of order
    assert not emu.posts(CHANNEL, thread_ts=thread)[1:]
    time.sleep(0.6)
    assert feed.pump() == 2  # the rejection on the card, then the outcome line
    assert not crashed.done(oldest)  # its late "done" is refused: the claim moved on
    replies = [c for c in emu.posts(CHANNEL, thread_ts=thread)][1:]
    assert len(replies) == 1 and "Rejected by <@U0ONCALL>" in replies[0].params["text"]


def test_failed_posts_are_retried_and_a_deleted_card_does_not_block(stack: Stack) -> None:
    runtime, emu = stack.runtime, stack.emulator
    thread = f"{int(time.time())}.000300"
    view = _request(stack, thread, "call-retry")
    card = _card_ts(stack, view.id)
    emu.messages.pop((CHANNEL, card))  # somebody deleted the card in Slack
    runtime.approval_flow.decide_and_resume(view.id, user="U0ONCALL", approve=True, via="cli")
    emu.fail("chat.postMessage", "fatal_error")
    feed = _feed(stack)
    _drain(feed)
    assert [c.response.get("error") for c in emu.calls_to("chat.update", ts=card)] == [
        "message_not_found"  # logged, not retried: the outcome is still posted below
    ]
    assert len(emu.posts(CHANNEL, thread_ts=thread)) == 1  # only the card; the post failed
    (outcome,) = [e for e in feed.events.for_approval(view.id) if e.kind == "outcome"]
    assert outcome.delivered_at is None and outcome.attempts == 1
    time.sleep(2.1)  # the first retry waits 2 s
    _drain(feed)
    replies = emu.posts(CHANNEL, thread_ts=thread)[1:]
    assert len(replies) == 1 and "Done." in replies[0].params["text"]
    assert feed.events.backlog() == []


def test_a_decision_made_before_the_card_was_attached_still_reaches_the_card(
    stack: Stack,
) -> None:
    """A click can land between the card's post and its attachment to the approval: the
    feed row of that decision finds no card. Attaching the card then adds a state row, so
    the card still ends in the approval's current state."""
    runtime, emu = stack.runtime, stack.emulator
    thread = f"{int(time.time())}.000350"
    view = _request(stack, thread, "call-early", card=False)
    runtime.approvals.decide(view.id, user="U0ONCALL", approve=False, via="cli")
    feed = _feed(stack)
    _drain(feed)  # the rejection's row: no card to update yet
    assert feed.events.backlog() == []
    runtime.slack.outbox.post_approval(view, CHANNEL, thread)  # rendered while pending
    card = _card_ts(stack, view.id)
    assert "approval_approve" in str((emu.message(CHANNEL, card) or {}).get("blocks"))
    _drain(feed)
    shown = str((emu.message(CHANNEL, card) or {}).get("blocks"))
    assert "Rejected by <@U0ONCALL> from the command line" in shown
    assert "approval_approve" not in shown  # no live buttons on a settled approval


def test_a_card_attached_to_a_pending_approval_adds_no_feed_row(stack: Stack) -> None:
    view = _request(stack, f"{int(time.time())}.000360", "call-plain")
    assert stack.runtime.approvals.events.for_approval(view.id) == []


def test_the_running_feed_shows_a_decision_made_elsewhere(stack: Stack) -> None:
    """The feed thread started by the front end polls: a decision taken by another process
    (here, straight through the database-backed services) reaches the card by itself."""
    runtime, emu = stack.runtime, stack.emulator
    feed = runtime.slack.approval_feed
    feed.start()
    thread = f"{int(time.time())}.000400"
    view = _request(stack, thread, "call-poll")
    card = _card_ts(stack, view.id)
    other = ApprovalEvents(runtime.engine)  # nobody kicks this process's feed
    assert other.backlog() == []
    runtime.approvals.decide(view.id, user="U0ONCALL", approve=False, via="cli")
    runtime.approvals.record_reply(view.id, None)
    emu.wait_for(
        lambda: (
            "Rejected by <@U0ONCALL> from the command line"
            in str((emu.message(CHANNEL, card) or {}).get("blocks"))
        ),
        10,
        what="the card updated by the polling feed",
    )
    emu.wait_for(lambda: len(emu.posts(CHANNEL, thread_ts=thread)) == 2, 10, what="the outcome")


def test_a_database_from_before_the_feed_is_upgraded(
    tmp_path: Path, database_url: str | None
) -> None:
    """core_0002 on a database at core_0001 with approvals in it: nothing is lost, the new
    column is empty and the feed table is there."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    from bot.storage.db import MIGRATIONS_DIR, make_engine, migrate

    engine = make_engine(database_url or f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "core_0001")
        conn.execute(
            text(
                "INSERT INTO approval (id, thread_id, tool_call_id, tool, args, risk, preview, "
                "requested_by, requested_via, status, created_at, expires_at, approvals_needed, "
                "approvers, revision, decided_by) VALUES ('ap-old', 'slack:T:C:1.1', 'c', "
                "'run_remediation', '{}', 'low', '', 'U1', 'slack', 'executed', :now, :now, 1, "
                "'[]', 3, 'U2')"
            ),
            {"now": utcnow()},
        )
    assert "approval_event" not in inspect(engine).get_table_names()
    assert migrate(engine) is True
    assert "approval_event" in inspect(engine).get_table_names()
    with session(engine) as db:
        row = db.get(Approval, "ap-old")
    assert row is not None and row.decided_by == "U2" and row.decided_via is None
    engine.dispose()
