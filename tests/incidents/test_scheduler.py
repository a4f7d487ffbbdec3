"""Only one process runs the scheduler: a Postgres session advisory lock (taken over when
the leader's session ends) or a file lock on SQLite; the leader runs the monitor cycle at
once and then every interval."""

from __future__ import annotations

import time
from pathlib import Path

from bot.scheduler import FileLeaderLock, OpsScheduler, PostgresLeaderLock, lock_for


def test_file_lock_is_exclusive_and_freed_on_release(tmp_path: Path) -> None:
    first, second = FileLeaderLock(tmp_path / "s.lock"), FileLeaderLock(tmp_path / "s.lock")
    assert first.acquire() and first.alive()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_postgres_advisory_lock_fails_over(postgres_url: str) -> None:
    leader, standby = (
        PostgresLeaderLock(postgres_url, key=42_4242),
        PostgresLeaderLock(postgres_url, key=42_4242),
    )
    try:
        assert leader.acquire() and leader.alive()
        assert not standby.acquire()
        leader._conn.close()  # the leader's session dies (crash, network)
        assert not leader.alive()
        assert standby.acquire() and standby.alive()
        assert not leader.acquire()
    finally:
        leader.release()
        standby.release()


def test_lock_matches_the_database(make_runtime, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(lock_for(make_runtime().engine, Path("/tmp")), FileLeaderLock)
    pg = make_runtime(database_url=postgres_url)
    assert isinstance(lock_for(pg.engine, pg.data_dir), PostgresLeaderLock)


def test_only_the_leader_runs_the_monitors(make_runtime, database_url) -> None:  # type: ignore[no-untyped-def]
    settings = {
        "database_url": database_url,
        "check_interval_seconds": 1,
        "monitor_sustain_samples": 1,
        "host_disk_pct": 1,
        "disk_forecast_hours": 0,
        "incident_correlation_minutes": 0,  # a busy CPU must not absorb the disk
    }
    one, two = make_runtime(**settings), make_runtime(**settings)
    one.incidents.disable_triage()
    two.incidents.disable_triage()
    first, second = OpsScheduler(one.scheduler_deps()), OpsScheduler(two.scheduler_deps())
    first.start()
    second.start()
    try:
        assert first.leading and not second.leading
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = one.incidents.engine.list("open")
            if any(r.alertname == "HostDiskFull" and r.count >= 3 for r in rows):
                break
            time.sleep(0.2)
        disk = [r for r in one.incidents.engine.list("all") if r.alertname == "HostDiskFull"]
        assert len(disk) == 1 and disk[0].count >= 3  # one incident, seen every second
        first.stop()  # the leader goes away: the standby takes over at its next retry
        second._elect()
        assert second.leading
    finally:
        first.stop()
        second.stop()


def test_expiry_sweep_resumes_the_paused_conversation(make_runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import update

    from bot.approvals.tables import Approval
    from bot.storage.db import session
    from core.access import Caller
    from core.clock import utcnow

    config = tmp_path / "remediation.yaml"
    config.write_text("services:\n  web:\n    restart: [/bin/true]\n")
    runtime = make_runtime(remediation_config=config)
    turn = runtime.agent.ask("restart web", thread_id="chat-1", caller=Caller("U_REQ"))
    (pending,) = turn.pending
    with session(runtime.engine) as db:
        db.execute(
            update(Approval)
            .where(Approval.id == pending.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    told: list[tuple[str, str]] = []
    scheduler = OpsScheduler(
        runtime.scheduler_deps(), on_expired_turn=lambda v, t: told.append((v.id, t.answer))
    )
    scheduler.sweep()
    assert len(told) == 1 and told[0][0] == pending.id
    assert "expired without a decision" in told[0][1]
    assert not runtime.agent.is_paused("chat-1")
    scheduler.sweep()  # nothing more to say
    assert len(told) == 1
