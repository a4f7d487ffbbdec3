"""Approvals survive crashes and full disks: a decision and its audit row are stored together
or not at all (a real "database or disk is full" from SQLite), an approval decided but never
started is run (once) by a later approve or a start, an execution whose process was killed
with SIGKILL ends `unknown` (thread, card and audit told; never re-run), and deciding on a
settled approval exits 1."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.approvals import ApprovalError
from bot.identity import os_user
from core.access import Caller, Risk
from tests.bot_process import OpsbotRun, clean_env, free_port, opsbot

ME = os_user()
SLACK_THREAD = "slack:T1:C1:1700000000.000100"


def remediation_config(tmp_path: Path) -> Path:
    """`mark` appends a line and returns; `slow` appends its pid, then sleeps a minute."""
    runs = tmp_path / "runs.txt"
    (tmp_path / "mark.sh").write_text(f"echo ran >> {runs}\n")
    (tmp_path / "slow.sh").write_text(f"echo $$ >> {runs}\nsleep 60\n")
    path = tmp_path / "remediation.yaml"
    path.write_text(
        "scripts:\n"
        f"  mark:\n    argv: [/bin/sh, {tmp_path / 'mark.sh'}]\n"
        f"  slow:\n    argv: [/bin/sh, {tmp_path / 'slow.sh'}]\n    timeout_seconds: 120\n"
    )
    return path


def runs(tmp_path: Path) -> list[str]:
    path = tmp_path / "runs.txt"
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def runtime(make_runtime, tmp_path: Path) -> Any:  # type: ignore[no-untyped-def]
    return make_runtime(
        console_mode=False,
        remediation_config=remediation_config(tmp_path),
        oncall_users=["U_ONCALL"],
    )


def cli_env(tmp_path: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "OPSBOT_DATA_DIR": str(data_dir),
        "REMEDIATION_CONFIG": str(tmp_path / "remediation.yaml"),
        "ONCALL_USERS": "U_ONCALL",
        "CLI_USERS": f"{ME}=U_ONCALL",
        **extra,
    }


def request(
    runtime: Any, script: str = "mark", call: str = "tc1", thread: str = SLACK_THREAD, **extra: Any
) -> str:
    tool = runtime.toolbox.get("run_remediation")
    args = {"action": "run_script", "params": {"script": script, **extra}}
    view = runtime.approvals.request(
        thread_id=thread,
        tool_call_id=call,
        tool=tool,
        args=args,
        caller=Caller(user="U_REQ", via="slack", channel="C1"),
        preview=f"would run {script}",
        risk=Risk.MEDIUM,
    )
    return str(view.id)


def outcomes(runtime: Any, approval_id: str) -> list[str]:
    return [row.outcome for row in runtime.audit.for_approval(approval_id)]


# ---------------------------------------------------------------------- a full disk
def fill_database(engine: Any) -> Callable[[], None]:
    """Fill the SQLite database for real: cap its size at its current page count (`PRAGMA
    max_page_count`, on every connection) and use up its free pages with filler rows, so
    the next write that needs a new page fails with SQLite's "database or disk is full".
    Returns the function that frees the space again."""
    cap: dict[str, int | None] = {"pages": None}

    @event.listens_for(engine, "connect")
    def _cap(dbapi_conn: Any, _record: Any) -> None:
        if cap["pages"] is not None:
            dbapi_conn.execute(f"PRAGMA max_page_count = {cap['pages']}")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (data BLOB)"))
        cap["pages"] = int(conn.execute(text("PRAGMA page_count")).scalar_one()) + 2
    engine.dispose()  # every connection from now on is capped
    with engine.connect() as conn:
        for size in (3000, 1000, 200, 50):
            while True:
                try:
                    conn.execute(text("INSERT INTO filler VALUES (randomblob(:n))"), {"n": size})
                    conn.commit()
                except OperationalError as exc:
                    assert "database or disk is full" in str(exc)
                    conn.rollback()
                    break

    def free() -> None:
        cap["pages"] = None
        engine.dispose()
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM filler"))

    return free


def test_a_full_disk_refuses_the_decision_and_its_audit_together(runtime: Any) -> None:
    approval = request(runtime, thread="cli:test:full")
    free = fill_database(runtime.engine)
    # a reason longer than a page: the decision's audit row needs new pages, the approval's
    # own change does not
    reason = "checked with the team, " * 300
    with pytest.raises(ApprovalError, match="database or disk is full") as refused:
        runtime.approvals.decide(
            approval, user="U_ONCALL", approve=True, via="slack", reason=reason
        )
    assert "could not record the decision, so nothing changed" in str(refused.value)
    # both or neither: still pending, and no decision in the audit
    assert runtime.approvals.view(approval).status == "pending"
    assert outcomes(runtime, approval) == ["requested"]
    free()
    decision = runtime.approvals.decide(
        approval, user="U_ONCALL", approve=True, via="slack", reason=reason
    )
    assert decision.changed and decision.approval.status == "approved"
    assert outcomes(runtime, approval) == ["requested", "approved"]
    assert runtime.audit.for_approval(approval)[-1].result == reason


def test_approved_but_never_started_is_run_once_by_approve(  # type: ignore[no-untyped-def]
    runtime: Any, tmp_path: Path, data_dir
) -> None:
    approval = request(runtime)
    # the decision is stored; the process deciding it died (or its disk filled) before it
    # claimed the execution: that leaves exactly this
    runtime.approvals.decide(approval, user="U_ONCALL", approve=True, via="slack")
    assert runtime.approvals.view(approval).status == "approved" and runs(tmp_path) == []
    listed = opsbot("approvals", env=cli_env(tmp_path, data_dir))
    assert listed.returncode == 0
    assert f"{approval}  run_remediation  risk=medium  approved by U_ONCALL but never started" in (
        listed.stdout
    )
    done = opsbot("approve", approval, env=cli_env(tmp_path, data_dir))
    assert done.returncode == 0, done.stderr
    assert "was approved by U_ONCALL but never started; running it now" in done.stdout
    assert runs(tmp_path) == ["ran"]
    assert runtime.approvals.view(approval).status == "executed"
    assert outcomes(runtime, approval) == ["requested", "approved", "ok"]
    again = opsbot("approve", approval, env=cli_env(tmp_path, data_dir))
    assert again.returncode == 1 and runs(tmp_path) == ["ran"]


def test_a_start_runs_approvals_that_never_started(make_runtime, runtime: Any, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stuck = request(runtime)
    runtime.approvals.decide(stuck, user="U_ONCALL", approve=True, via="slack")
    restarted = make_runtime(
        console_mode=False,
        remediation_config=tmp_path / "remediation.yaml",
        oncall_users=["U_ONCALL"],
    )
    # decided a moment ago: perhaps its decider is about to run it; a start leaves it
    assert restarted.approval_flow.recover(run_never_started=True) == []
    assert runs(tmp_path) == []
    (line,) = restarted.approval_flow.recover(run_never_started=True, grace_seconds=0)
    assert line.startswith(f"{stuck}: approved but never started; ran it: executed")
    assert runs(tmp_path) == ["ran"]
    assert restarted.approval_flow.recover(run_never_started=True, grace_seconds=0) == []
    kinds = [e.kind for e in restarted.approvals.events.for_approval(stuck)]
    assert kinds == ["approved", "executed", "outcome"]  # the thread hears how it went


def test_the_scheduler_sweep_runs_an_approval_a_full_disk_left_approved(
    runtime: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No restart needed: once the database can be written again, the leader's sweep runs an
    approval decided long enough ago (SWEEP_GRACE) and never started, exactly once."""
    from datetime import timedelta

    from bot.approvals import SWEEP_GRACE
    from bot.approvals.tables import Approval
    from bot.scheduler import OpsScheduler
    from bot.storage.db import session
    from core.clock import utcnow

    stuck, recent = request(runtime, call="tc-old"), request(runtime, script="slow", call="tc-new")
    for approval in (stuck, recent):
        runtime.approvals.decide(approval, user="U_ONCALL", approve=True, via="slack")
    with session(runtime.engine) as db:
        row = db.get(Approval, stuck)
        assert row is not None
        row.decided_at = utcnow() - timedelta(seconds=SWEEP_GRACE + 5)
        db.add(row)
        db.commit()
    scheduler = OpsScheduler(runtime.scheduler_deps())
    with caplog.at_level("WARNING", logger="bot.scheduler"):
        scheduler.sweep()
    assert runs(tmp_path) == ["ran"]  # the old one ran; the recent one is left to its decider
    assert runtime.approvals.view(stuck).status == "executed"
    assert runtime.approvals.view(recent).status == "approved"
    assert f"recovered approval {stuck}: approved but never started; ran it: executed" in (
        caplog.text
    )
    scheduler.sweep()
    assert runs(tmp_path) == ["ran"]  # exactly once
    assert outcomes(runtime, stuck) == ["requested", "approved", "ok"]


@pytest.fixture
def any_db_runtime(make_runtime, tmp_path: Path, database_url: str | None) -> Any:  # type: ignore[no-untyped-def]
    extra = {"database_url": database_url} if database_url else {}
    return make_runtime(
        console_mode=False,
        remediation_config=remediation_config(tmp_path),
        oncall_users=["U_ONCALL"],
        **extra,
    )


def test_a_failed_audit_write_undoes_the_decision_on_every_database(any_db_runtime: Any) -> None:
    """The decision and its audit row in one transaction, on SQLite and PostgreSQL: the
    database itself refuses the audit row (a trigger raising PostgreSQL's disk_full, SQLSTATE
    53100, or SQLite's RAISE), and the approval stays pending."""
    runtime = any_db_runtime
    approval = request(runtime, thread="cli:test:audit")
    postgres = runtime.engine.dialect.name == "postgresql"
    with runtime.engine.begin() as conn:
        if postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                    "'could not extend file: No space left on device' USING ERRCODE = '53100'; "
                    "END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_audit()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN "
                    "SELECT RAISE(ABORT, 'database or disk is full'); END"
                )
            )
    with pytest.raises(ApprovalError, match=r"No space left on device|database or disk is full"):
        runtime.approvals.decide(approval, user="U_ONCALL", approve=True, via="slack")
    assert runtime.approvals.view(approval).status == "pending"
    assert outcomes(runtime, approval) == ["requested"]
    assert [e.kind for e in runtime.approvals.events.for_approval(approval)] == []
    with runtime.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_audit" + (" ON audit_log" if postgres else "")))
    decision = runtime.approvals.decide(approval, user="U_ONCALL", approve=True, via="slack")
    assert decision.changed and decision.approval.status == "approved"
    assert outcomes(runtime, approval) == ["requested", "approved"]


# ---------------------------------------------------------------------- kill -9
def test_an_execution_killed_with_sigkill_ends_unknown_and_is_never_rerun(  # type: ignore[no-untyped-def]
    runtime: Any, tmp_path: Path, data_dir
) -> None:
    approval = request(runtime, script="slow")
    approver = subprocess.Popen(
        [sys.executable, "-m", "bot", "approve", approval],
        env=clean_env(**cli_env(tmp_path, data_dir)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    script_pid = 0
    try:
        deadline = time.monotonic() + 90
        while not runs(tmp_path) and time.monotonic() < deadline:
            assert approver.poll() is None, "opsbot approve exited before the script started"
            time.sleep(0.1)
        (first,) = runs(tmp_path)
        script_pid = int(first)
        executing = runtime.approvals.view(approval)
        assert executing.status == "executing"
        from bot.approvals.tables import Approval
        from bot.storage.db import session

        with session(runtime.engine) as db:
            row = db.get(Approval, approval)
        assert row is not None and row.executor_pid == approver.pid
        assert runtime.approvals.recover_dead() == []  # its executor lives: left alone
        approver.send_signal(signal.SIGKILL)
        approver.wait(timeout=30)
    finally:
        if approver.poll() is None:
            approver.kill()
            approver.wait()
        if script_pid:  # the script outlives opsbot (its own session); stop it here
            with contextlib.suppress(ProcessLookupError):
                os.killpg(script_pid, signal.SIGKILL)

    # a start of `opsbot run` finds it
    port = free_port()
    env = cli_env(tmp_path, data_dir, PORT=str(port))
    run = OpsbotRun(tmp_path, env, "--no-console")
    try:
        run.wait_healthy(port, timeout=90)
        assert any(
            f"opsbot: recovered approval {approval}: run_remediation outcome unknown "
            "(process died)" in line
            for line in run.errors
        ), run.log()
        assert run.stop(timeout=30) == 0
    finally:
        run.kill()
    final = runtime.approvals.view(approval)
    assert final.status == "unknown"
    assert final.result is not None
    assert f"outcome unknown (process died): process {approver.pid} on " in final.result
    assert "it was not re-run" in final.result
    audit = runtime.audit.for_approval(approval)
    assert [r.outcome for r in audit] == ["requested", "approved", "unknown"]
    assert audit[-1].actor == "opsbot" and audit[-1].result == final.result
    kinds = [e.kind for e in runtime.approvals.events.for_approval(approval)]
    assert kinds == ["approved", "unknown", "outcome"]  # the card, then a line in the thread

    # listed by `opsbot approvals`; deciding again changes nothing and runs nothing
    listed = opsbot("approvals", "--json", env=cli_env(tmp_path, data_dir))
    assert listed.returncode == 0, listed.stderr
    (shown,) = [v for v in json.loads(listed.stdout) if v["id"] == approval]
    assert shown["status"] == "unknown" and "process died" in shown["result"]
    again = opsbot("approve", approval, env=cli_env(tmp_path, data_dir))
    assert again.returncode == 1
    assert "the process running it died: its outcome is unknown; nothing changed" in again.stderr
    assert runs(tmp_path) == [first]  # started once, never re-run


# executes the approval argv[2] with an action that ends its own process mid-way
DIES_MID_ACTION = """
import os, sys
from pydantic import BaseModel
from bot.approvals import ApprovalPolicy, ApprovalService, AuditLogger
from bot.storage.db import make_engine
from tools.base import Access, OpsTool, Toolbox

class Args(BaseModel):
    action: str
    params: dict = {}

def die(args, caller):
    os._exit(7)

engine = make_engine(sys.argv[1])
service = ApprovalService(engine, AuditLogger(engine), ApprovalPolicy())
tool = OpsTool(name="run_remediation", description="dies", args=Args, run=die,
               access=Access.GATED, preview=lambda args: "dies")
service.set_toolbox(Toolbox([tool]))
service.execute(sys.argv[2])
"""


def test_approvals_lists_and_settles_a_dead_execution(  # type: ignore[no-untyped-def]
    runtime: Any, tmp_path: Path, data_dir
) -> None:
    """A process that claimed the execution died in the middle of the action (here the
    action itself ends the process): `opsbot approvals` settles it and lists it."""
    approval = request(runtime, call="tc-gone")
    runtime.approvals.decide(approval, user="U_ONCALL", approve=True, via="slack")
    claimer = subprocess.run(
        [sys.executable, "-c", DIES_MID_ACTION, runtime.settings.sqlalchemy_url, approval],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert claimer.returncode == 7, claimer.stderr
    assert runtime.approvals.view(approval).status == "executing"
    listed = opsbot("approvals", env=cli_env(tmp_path, data_dir))
    assert listed.returncode == 0, listed.stderr
    assert f"{approval}: run_remediation outcome unknown (process died)" in listed.stderr
    assert f"{approval}  run_remediation  risk=medium  unknown: outcome unknown" in listed.stdout
    assert runs(tmp_path) == []


# ---------------------------------------------------------------------- settled: exit 1
def test_deciding_a_settled_approval_exits_1(runtime: Any, tmp_path: Path, data_dir) -> None:  # type: ignore[no-untyped-def]
    approval = request(runtime)
    done = opsbot("approve", approval, env=cli_env(tmp_path, data_dir))
    assert done.returncode == 0, done.stderr
    assert runs(tmp_path) == ["ran"]
    for verb in ("reject", "approve"):
        late = opsbot(verb, approval, env=cli_env(tmp_path, data_dir))
        assert late.returncode == 1, (verb, late.stdout, late.stderr)
        assert late.stderr.strip() == (
            f"opsbot: {approval} was already executed by U_ONCALL; nothing changed"
        )
        assert "Traceback" not in late.stderr
    as_json = opsbot("reject", approval, "--json", env=cli_env(tmp_path, data_dir))
    assert as_json.returncode == 1
    printed = json.loads(as_json.stdout)
    assert printed["status"] == "executed" and printed["changed"] is False
    assert runtime.approvals.view(approval).status == "executed" and runs(tmp_path) == ["ran"]
    assert outcomes(runtime, approval) == ["requested", "approved", "ok"]
