"""The scheduler inside `opsbot run`: monitor cycle, approval expiry sweep, snooze expiry,
and delivery of incident messages, run by exactly one process.

APScheduler 3.x (BackgroundScheduler, UTC, in-memory job store) has no coordination of its
own, so leadership is decided outside it:

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a dedicated
  connection for the life of the process. A replica that does not get it tries again every
  `retry_seconds`; if the leader dies its session ends and the lock is free.
- SQLite (one host): an exclusive `flock` on a file beside the database, so a second
  `opsbot run` on the same data directory does not run the checks twice.

Jobs never overlap (`max_instances=1`), missed runs collapse into one (`coalesce`), and every
job is idempotent anyway (incidents are upserted by fingerprint, approvals move by
compare-and-set), so a rare double run during a leadership change is harmless.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Engine, make_url

from core.access import Caller

if TYPE_CHECKING:
    from bot.incidents.service import IncidentService
    from graphs.port import AgentPort

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 7_301_640_222  # "opsbot scheduler"
SYSTEM = Caller(user="opsbot", via="system")


class LeaderLock(Protocol):
    def acquire(self) -> bool:
        """Try to become the leader now; True when this process holds the lock."""

    def alive(self) -> bool:
        """Still holding it (the connection or file is still ours)."""

    def release(self) -> None: ...


class PostgresLeaderLock:
    """A session advisory lock on a connection kept for the process lifetime."""

    def __init__(self, url: str, key: int = LEADER_LOCK_KEY) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        self.conninfo = parsed.render_as_string(hide_password=False)
        self.key = key
        self._conn: Any = None
        self._held = False

    def acquire(self) -> bool:
        import psycopg

        if self._held and self.alive():
            return True
        self.release()
        try:
            self._conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self._held = bool(row and row[0])
        except Exception as exc:
            log.warning("could not try the scheduler lock: %s", exc)
            self._held = False
        if not self._held:
            self.release()
        return self._held

    def alive(self) -> bool:
        if not self._held or self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1").fetchone()
            return True
        except Exception as exc:
            log.warning("lost the scheduler lock connection: %s", exc)
            self._held = False
            return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        self._held = False
        if conn is not None:
            with contextlib.suppress(Exception):  # closing the session frees the lock
                conn.close()


class FileLeaderLock:
    """An exclusive, non-blocking flock; the kernel frees it when the process exits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def alive(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def lock_for(engine: Engine, data_dir: Path) -> LeaderLock:
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresLeaderLock(url.render_as_string(hide_password=False))
    database = url.database
    if database and database != ":memory:":
        return FileLeaderLock(Path(database).expanduser().resolve().with_suffix(".scheduler.lock"))
    return FileLeaderLock(data_dir / "scheduler.lock")


@dataclass(frozen=True)
class SchedulerDeps:
    """What the scheduler uses (built by `Runtime.scheduler_deps`)."""

    incidents: IncidentService
    agent: Callable[[], AgentPort]  # built on first use: only an expiry needs it
    check_interval_seconds: float
    leader_lock: Callable[[], LeaderLock]  # `lock_for` the process's database
    # `ApprovalFlow.recover(run_never_started=True)`: settle dead executions, run approvals
    # decided but never started (a full disk between the two); one line per change
    recover_approvals: Callable[[], list[str]] | None = None
    # more periodic jobs run by the leader (on-call escalation and handoffs: bot/oncall_jobs.py)
    jobs: tuple[PeriodicJob, ...] = ()


@dataclass(frozen=True)
class PeriodicJob:
    id: str
    seconds: float
    run: Callable[[], object]

    def __call__(self) -> None:
        try:
            self.run()
        except Exception:
            log.exception("the %s job failed", self.id)


class OpsScheduler:
    def __init__(
        self,
        deps: SchedulerDeps,
        *,
        lock: LeaderLock | None = None,
        retry_seconds: float = 10.0,
        sweep_seconds: float = 15.0,
        on_expired_turn: Callable[[Any, Any], None] | None = None,
    ) -> None:
        self.deps = deps
        self.lock = lock or deps.leader_lock()
        self.retry_seconds = retry_seconds
        self.sweep_seconds = sweep_seconds
        # called with (expired ApprovalView, TurnResult) after a chat thread learns of expiry
        self.on_expired_turn = on_expired_turn
        self.leading = False
        self._scheduler: Any = None
        self._state = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        interval = float(self.deps.check_interval_seconds)
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(1, int(interval)),
            },
        )
        self._scheduler.start()
        self._elect()  # lead at once when we can (first monitor cycle runs immediately)
        self._scheduler.add_job(
            self._elect, "interval", seconds=self.retry_seconds, id="leader", replace_existing=True
        )

    def stop(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        self._step_down()
        self.lock.release()

    # ------------------------------------------------------------------ leadership
    def _elect(self) -> None:
        with self._state:
            if self.leading:
                if not self.lock.alive():
                    log.warning("scheduler leadership lost; monitors paused on this replica")
                    self._step_down()
                return
            if self.lock.acquire():
                self._lead()

    def _lead(self) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            return
        now = datetime.now(UTC)
        interval = float(self.deps.check_interval_seconds)
        scheduler.add_job(
            self.monitor_cycle,
            "interval",
            seconds=interval,
            id="monitors",
            next_run_time=now,
            replace_existing=True,
        )
        scheduler.add_job(
            self.sweep,
            "interval",
            seconds=self.sweep_seconds,
            id="approvals",
            next_run_time=now,
            replace_existing=True,
        )
        scheduler.add_job(
            self.end_snoozes,
            "interval",
            seconds=max(5.0, min(30.0, interval)),
            id="snoozes",
            replace_existing=True,
        )
        for job in self.deps.jobs:
            scheduler.add_job(
                job,
                "interval",
                seconds=job.seconds,
                id=job.id,
                next_run_time=now,
                replace_existing=True,
            )
        self.deps.incidents.outbox.start()
        self.leading = True
        log.info("this process runs the scheduler (monitors every %gs)", interval)

    def _step_down(self) -> None:
        scheduler = self._scheduler
        for job_id in ("monitors", "approvals", "snoozes", *(job.id for job in self.deps.jobs)):
            if scheduler is not None:
                with contextlib.suppress(Exception):  # not added yet
                    scheduler.remove_job(job_id)
        if self.leading:
            self.deps.incidents.outbox.stop()
        self.leading = False

    # ------------------------------------------------------------------ jobs
    def monitor_cycle(self) -> None:
        try:
            report = self.deps.incidents.run_checks()
            log.debug("monitor cycle: %s", report.changes)
        except Exception:
            log.exception("monitor cycle failed")

    def sweep(self) -> None:
        """Expire due approvals; let paused conversations learn of it; sync incidents.

        A conversation whose chat front end reads the approval feed (Slack) is left to it:
        the expiry is in the feed, and the front end resumes the conversation and posts the
        answer in its thread, whichever process noticed the expiry."""
        from bot.approvals import announced

        self.recover_approvals()
        try:
            expired = self.deps.incidents.sweep_approvals()
        except Exception:
            log.exception("approval sweep failed")
            return
        for view in expired:
            thread = view.thread_id
            if not thread or announced(thread):
                continue
            try:
                agent = self.deps.agent()
                if not agent.is_paused(thread):
                    continue
                turn = agent.resume(thread, SYSTEM)
            except Exception:
                log.exception("could not resume thread %s after expiry", thread)
                continue
            if self.on_expired_turn is not None:
                try:
                    self.on_expired_turn(view, turn)
                except Exception:
                    log.exception("could not post the expiry of %s", view.id)

    def recover_approvals(self) -> None:
        """What a start does, on every sweep: an approval left `approved` by a full disk runs
        (once) as soon as the database can be written, with no restart."""
        if self.deps.recover_approvals is None:
            return
        try:
            lines = self.deps.recover_approvals()
        except Exception:
            log.exception("approval recovery failed")
            return
        for line in lines:
            log.warning("recovered approval %s", line)

    def end_snoozes(self) -> None:
        try:
            self.deps.incidents.end_snoozes()
        except Exception:
            log.exception("snooze expiry failed")
