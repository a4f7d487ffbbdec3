"""One pending approval per action and arguments: a second identical request (another
thread, the same thread's aside, two at once, another replica) points to the pending one;
an expired or decided one no longer holds the action; older databases keep their rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from bot.approvals.tables import Approval
from bot.storage.db import alembic_config, database_heads, make_engine, migrate, session
from core.access import Caller, Risk
from core.approvals import action_key
from core.clock import utcnow
from tests.approvals.stack import Stack, build_stack

ALICE = Caller(user="U_REQ", via="slack", channel="C1")
BOB = Caller(user="U_BOB", via="slack", channel="C2")
RESTART_WEB = {"action": "restart_service", "params": {"service": "web"}}


@pytest.fixture
def stack(database_url: str | None, tmp_path: Path) -> Iterator[Stack]:
    built = build_stack(database_url, tmp_path)
    yield built
    built.close()


def _request(stack: Stack, thread: str, call: str, args: dict[str, Any] = RESTART_WEB) -> Any:
    return stack.approvals.request(
        thread_id=thread, tool_call_id=call, tool=stack.tool, args=args, caller=ALICE,
        preview="would restart", risk=Risk.MEDIUM,
    )  # fmt: skip


def _requested_rows(stack: Stack) -> list[Any]:
    return [e for e in stack.audit.recent(100) if e.outcome == "requested"]


def test_a_second_identical_request_in_chat_points_to_the_pending_one(stack: Stack) -> None:
    first = stack.agent.ask("please restart web", thread_id="t1", caller=ALICE)
    (pending,) = first.pending
    second = stack.agent.ask("please restart web", thread_id="t2", caller=BOB)
    assert second.pending == []  # nothing new to wait for
    assert f"already pending approval as {pending.id}" in second.answer
    assert "a second approval would run it twice" in second.answer
    assert [v.id for v in stack.approvals.pending()] == [pending.id]
    assert not stack.agent.is_paused("t2")
    # the same thread's aside asking again points to it too; another service is its own
    aside = stack.agent.ask("please restart web", thread_id="t1", caller=ALICE)
    assert pending.id in aside.answer and aside.pending == []
    other = stack.agent.ask("please restart worker", thread_id="t3", caller=BOB)
    assert len(other.pending) == 1 and other.pending[0].id != pending.id
    assert len(_requested_rows(stack)) == 2
    assert stack.runs() == []


def test_identical_requests_at_once_make_one_approval(stack: Stack) -> None:
    barrier = threading.Barrier(6)
    ids: list[str] = []

    def ask(n: int) -> None:
        barrier.wait()
        ids.append(_request(stack, f"thread-{n}", f"call-{n}").id)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 6 and len(set(ids)) == 1
    assert [v.id for v in stack.approvals.pending()] == ids[:1]
    assert len(_requested_rows(stack)) == 1


def test_an_expired_or_decided_twin_no_longer_holds_the_action(stack: Stack) -> None:
    first = _request(stack, "t1", "c1")
    with session(stack.approvals.store.engine) as db:  # its time is up, not yet swept
        db.execute(
            update(Approval)
            .where(Approval.id == first.id)  # type: ignore[arg-type]
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    second = _request(stack, "t2", "c2")
    assert second.id != first.id and second.status == "pending"
    assert stack.approvals.view(first.id).status == "expired"
    stack.flow.decide_and_resume(second.id, user="U_ONCALL", approve=False, via="slack")
    third = _request(stack, "t3", "c3")
    assert third.id not in (first.id, second.id) and third.status == "pending"
    # the same call again (a re-run of the gate node) is still its own row
    assert _request(stack, "t3", "c3").id == third.id
    # arguments in another order are the same action
    assert action_key("run_remediation", {"params": {"service": "web"}, "action": "x"}) == (
        action_key("run_remediation", {"action": "x", "params": {"service": "web"}})
    )


def test_core_0004_keys_old_rows_and_keeps_their_twins(
    database_url: str | None, tmp_path: Path
) -> None:
    """A database at core_0003 already holding two identical pending approvals (the pile-up
    of before) upgrades: the oldest holds the action, the younger one can still be decided,
    and a new identical request points to the oldest."""
    from alembic import command

    engine = make_engine(database_url or f"sqlite:///{tmp_path / 'opsbot.sqlite3'}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "core_0003")
    now = utcnow()
    with engine.begin() as conn:
        for n, (status, age) in enumerate([("pending", 30), ("pending", 20), ("rejected", 40)]):
            conn.execute(
                text(
                    "INSERT INTO approval (id, thread_id, tool_call_id, tool, args, risk, "
                    "preview, requested_by, requested_via, status, created_at, expires_at, "
                    "approvals_needed, approvers, revision) VALUES (:id, :thread, 'c', "
                    "'run_remediation', :args, 'medium', '', 'U1', 'slack', :status, :created, "
                    ":expires, 1, '[]', 0)"
                ),
                {
                    "id": f"ap-old{n}", "thread": f"t{n}", "status": status,
                    "args": '{"params": {"service": "web"}, "action": "restart_service"}',
                    "created": now - timedelta(seconds=age), "expires": now + timedelta(hours=1),
                },
            )  # fmt: skip
    migrate(engine)
    assert "core_0004" in str(database_heads(engine))
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, action_key FROM approval")).all())
    key = action_key("run_remediation", RESTART_WEB)
    assert keys == {"ap-old0": key, "ap-old1": None, "ap-old2": key}
    engine.dispose()
    stack = build_stack(database_url, tmp_path)
    try:
        assert _request(stack, "t9", "c9").id == "ap-old0"
        stack.flow.decide_and_resume("ap-old1", user="U_ONCALL", approve=False, via="slack")
        assert stack.approvals.view("ap-old1").status == "rejected"
    finally:
        stack.close()
