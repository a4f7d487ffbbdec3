"""The incident service: monitors and Alertmanager in, triage and suggested actions, the
people's actions (acknowledge, resolve, snooze), and delivery to the front ends.

It implements `IncidentActions` (the Slack buttons and the CLI call it) and is the engine's
listener: a committed change kicks the outbox, a new incident is queued for triage. Triage
runs on one background thread so a monitor cycle or an Alertmanager request never waits for
evidence gathering or a model call; `background=False` runs it inline (`opsbot check`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.approvals.queries import incident_approvals, incidents_with_approvals
from bot.incidents.action_notes import action_note
from bot.incidents.alertmanager import AmPayload, ingest
from bot.incidents.attachments import triage_files
from bot.incidents.contract import (
    IncidentCard,
    IncidentNotifier,
    incident_of_thread,
)
from bot.incidents.correlation import signal_views
from bot.incidents.engine import IncidentEngine
from bot.incidents.heartbeats import HeartbeatStore, split_heartbeats
from bot.incidents.model import RESOLVED, CycleReport
from bot.incidents.notify import IncidentOutbox
from bot.incidents.spec import EngineConfig, IncidentError, Suppressor, event_hash_for_cycle
from bot.incidents.tables import Incident
from bot.incidents.triage_actions import request_action_approval
from bot.incidents.triage_record import is_local, triage_input, triaged
from bot.incidents.views import build_card
from bot.storage.db import session
from core.approvals import ApprovalView
from core.clock import as_utc, utcnow
from tools.base import OpsTool
from tools.redact import redact

if TYPE_CHECKING:
    from bot.approvals import ApprovalService
    from bot.monitors.suite import MonitorSuite
    from graphs.triage_types import TriageDeps

log = logging.getLogger(__name__)

TRIAGE_STALE = timedelta(minutes=5)  # untriaged this long (e.g. a crash): triage again


@dataclass
class ServiceConfig:
    interval: float = 60.0
    engine: EngineConfig | None = None
    background: bool = True  # triage on a worker thread (False: inline)
    # always-firing alerts whose arrival is recorded, never an incident (HEARTBEAT_ALERTS)
    heartbeats: tuple[str, ...] = ("Watchdog",)


class IncidentService:
    def __init__(
        self,
        db: Engine,
        config: ServiceConfig | None = None,
        *,
        monitors: Callable[[], MonitorSuite] | None = None,
        triage_deps: Callable[[], TriageDeps] | None = None,
        approvals: Callable[[], ApprovalService] | None = None,
        tool_lookup: Callable[[str], OpsTool | None] | None = None,
        local_host: str | None = None,
        suppressor: Suppressor | None = None,
    ) -> None:
        import os

        self.db = db
        self.config = config or ServiceConfig()
        self.engine = IncidentEngine(
            db, self.config.engine or EngineConfig(), listener=self, suppressor=suppressor
        )
        self.outbox = IncidentOutbox(db, self._card_for_row)
        self._monitors = monitors
        self._triage_deps = triage_deps
        self._approvals = approvals
        self._tool_lookup = tool_lookup
        self.local_host = local_host or os.uname().nodename
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._triaging: set[int] = set()
        self._futures: list[Future[Any]] = []
        self._graph: Any = None
        self._suite: MonitorSuite | None = None

    # ------------------------------------------------------------------ listener
    def changed(self, incident_id: int) -> None:
        self.outbox.kick()

    def opened(self, incident_id: int) -> None:
        self.submit_triage(incident_id)

    # ------------------------------------------------------------------ cards
    def _card_for_row(self, row: Incident) -> IncidentCard:
        assert row.id is not None
        return build_card(row, incident_approvals(self.db, row.id), signal_views(self.db, row))

    def card(self, incident_id: int) -> IncidentCard:
        return self._card_for_row(self.engine.get(incident_id))

    def add_notifier(self, notifier: IncidentNotifier) -> None:
        self.outbox.add_notifier(notifier)

    # ------------------------------------------------------------------ IncidentActions
    def acknowledge(self, incident_id: int, user: str) -> IncidentCard:
        self.engine.acknowledge(incident_id, user)
        return self.card(incident_id)

    def resolve(self, incident_id: int, user: str) -> IncidentCard:
        self.engine.resolve(incident_id, user)
        return self.card(incident_id)

    def snooze(self, incident_id: int, user: str, minutes: int) -> IncidentCard:
        self.engine.snooze(incident_id, user, minutes)
        return self.card(incident_id)

    # ------------------------------------------------------------------ monitors
    def monitors(self) -> MonitorSuite:
        if self._suite is None:
            if self._monitors is None:
                raise IncidentError("no monitors are configured in this process")
            self._suite = self._monitors()
        return self._suite

    def run_checks(self, only: set[str] | None = None) -> CycleReport:
        """One monitor cycle: run the checks, open/update what they found, count clear
        checks (and auto-resolve) for what they no longer see."""
        from bot.metrics import INCIDENTS_OPEN, MONITOR_RUNS, MONITOR_SECONDS

        started = time.perf_counter()
        cpu_started = time.thread_time()
        now = utcnow()
        suite = self.monitors()
        report = CycleReport(runs=suite.run(now, only))
        slot = int(now.timestamp() // max(1.0, self.config.interval))
        firing: set[str] = set()
        for finding in report.findings:
            firing.add(finding.fingerprint)
            try:
                incident_id, change = self.engine.observe(
                    finding, event_hash_for_cycle(finding, slot)
                )
                if incident_id is not None:  # None: a maintenance window held it back
                    report.changes.append((incident_id, change))
            except Exception:
                log.exception("could not record finding %s", finding.alertname)
        report.changes.extend(self.engine.clear_checked(report.checked, firing))
        if only is None:
            self._retriage_stale()
            self.outbox.kick()
        report.seconds = time.perf_counter() - started
        report.cpu_seconds = time.thread_time() - cpu_started
        for run in report.runs:
            outcome = "ok" if run.ok else ("skipped" if run.error is None else "error")
            MONITOR_RUNS.labels(outcome=outcome).inc()
        MONITOR_SECONDS.observe(report.seconds)
        INCIDENTS_OPEN.set(self.engine.open_count())
        return report

    # ------------------------------------------------------------------ alertmanager
    def ingest_alertmanager(self, payload: AmPayload) -> tuple[int | None, str]:
        from bot.metrics import INCIDENTS_OPEN

        rest, beats = split_heartbeats(payload, self.config.heartbeats)
        if beats:
            store = HeartbeatStore(self.db)
            now = utcnow()
            for name in beats:
                store.beat(name, now, payload.receiver)
        if rest is None:
            return None, "heartbeat"
        result = ingest(self.engine, rest)
        if result[1] != "duplicate":
            INCIDENTS_OPEN.set(self.engine.open_count())
        return result

    # ------------------------------------------------------------------ triage
    def disable_triage(self) -> None:
        """Record incidents without triage (e.g. `opsbot check --no-triage`)."""
        self._triage_deps = None

    def _pool_get(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opsbot-triage")
            return self._pool

    def submit_triage(self, incident_id: int) -> None:
        if self._triage_deps is None:
            return
        with self._pool_lock:
            if incident_id in self._triaging:
                return
            self._triaging.add(incident_id)
        if not self.config.background:
            try:
                self.triage_now(incident_id)
            finally:
                with self._pool_lock:
                    self._triaging.discard(incident_id)
            return
        future = self._pool_get().submit(self._triage_job, incident_id)
        with self._pool_lock:
            self._futures = [f for f in self._futures if not f.done()] + [future]

    def _triage_job(self, incident_id: int) -> None:
        try:
            self.triage_now(incident_id)
        except Exception:
            log.exception("triage of incident #%s failed", incident_id)
        finally:
            with self._pool_lock:
                self._triaging.discard(incident_id)

    def triage_now(self, incident_id: int) -> Any:
        """Gather evidence, find the runbook, suggest actions (as approvals), summarise."""
        from graphs.triage import build_triage_graph, run_triage

        if self._triage_deps is None:
            raise IncidentError("triage is not configured in this process")
        row = self.engine.get(incident_id)
        if row.status == RESOLVED:
            return None
        self._set_triage_status(incident_id, "running")
        deps = self._triage_deps()
        if self._graph is None:
            self._graph = build_triage_graph(deps)
        incident = triage_input(row, is_local(row, self.local_host))
        try:
            result = run_triage(deps, incident, self._graph)
        except Exception as exc:
            self._set_triage_status(incident_id, "failed")
            self.engine.record(
                incident_id,
                "triage_failed",
                f"Triage failed: {type(exc).__name__}: {redact(str(exc))}",
            )
            raise
        text, apply = triaged(result)
        files = triage_files(incident_id, dict(row.details or {}), result.evidence)
        attached = {"search_logs"} if any(f.content is not None for f in files) else set()
        self.engine.record(
            incident_id,
            "triaged",
            text,
            note=result.evidence_note(attached) or None,
            update=apply,
            data={
                "actions": [a.approval_id for a in result.actions],
                "files": [f.to_json() for f in files],
            },
        )
        # the triage's approvals are announced by the card itself: mark them as seen
        self.sync_incident_approvals(incident_id, recheck=False)
        return result

    def _set_triage_status(self, incident_id: int, status: str) -> None:
        with session(self.db) as db:
            db.execute(
                update(Incident).where(col(Incident.id) == incident_id).values(triage_status=status)
            )
            db.commit()

    def _retriage_stale(self) -> None:
        """Triage incidents a crashed or restarted process left untriaged."""
        if self._triage_deps is None:
            return
        cutoff = utcnow() - TRIAGE_STALE
        with session(self.db) as db:
            rows = db.exec(
                select(Incident.id, Incident.first_seen)
                .where(col(Incident.open_key).is_not(None))
                .where(col(Incident.triage_status).in_(["pending", "running"]))
            ).all()
        for incident_id, first_seen in rows:
            assert incident_id is not None  # the query keeps rows with an id only
            if as_utc(first_seen) <= cutoff:
                self.submit_triage(int(incident_id))

    def request_approval(self, incident: Any, action: Any) -> str | None:
        """Create the pending approval for one suggested action (idempotent per incident,
        reopen and arguments)."""
        if self._approvals is None or self._tool_lookup is None:
            return None
        tool = self._tool_lookup("run_remediation")
        if tool is None:
            return None
        return request_action_approval(self._approvals(), tool, incident, action)

    # ------------------------------------------------------------------ approvals
    def sync_incident_approvals(self, incident_id: int, recheck: bool = True) -> list[str]:
        """Post what happened to this incident's suggested actions (once), and after an
        executed action re-run the incident's check so the thread says whether it worked."""
        views = incident_approvals(self.db, incident_id)
        if not views:
            return []
        executed = self.engine.sync_approvals(incident_id, views, action_note)
        if executed and recheck:
            self.recheck(incident_id)
        return executed

    def approval_changed(self, approval_id: str) -> None:
        """Hook for `ApprovalFlow.decide_and_resume`: an approval was decided (and maybe run)."""
        if self._approvals is None:
            return
        try:
            view = self._approvals().find(approval_id)
            incident_id = incident_of_thread(view.thread_id if view else None)
            if incident_id is not None:
                self.sync_incident_approvals(incident_id)
        except Exception:  # the decision itself already happened; never fail it here
            log.exception("could not update the incident for approval %s", approval_id)

    def sweep_approvals(self) -> list[ApprovalView]:
        """Expire due approvals; announce incident approval changes made anywhere.
        Returns expired approvals of chat threads (the scheduler resumes those)."""
        if self._approvals is None:
            return []
        expired = self._approvals().expire_due()
        chats = [v for v in expired if incident_of_thread(v.thread_id) is None]
        window = utcnow() - timedelta(days=2)
        ids = incidents_with_approvals(self.db, window)
        for incident_id in ids:
            try:
                self.sync_incident_approvals(incident_id)
            except Exception:
                log.exception("could not sync approvals of incident #%s", incident_id)
        return chats

    def recheck(self, incident_id: int) -> None:
        """After an action: run the incident's own monitor now and say what it sees."""
        row = self.engine.get(incident_id)
        if not row.monitor or self._monitors is None:
            return
        try:
            suite = self.monitors()
            if suite.get(row.monitor) is None:
                return
            report = self.run_checks(only={row.monitor})
        except Exception as exc:
            log.warning("re-check of incident #%s failed: %s", incident_id, exc)
            return
        after = self.engine.get(incident_id)
        still = any(f.fingerprint == row.fingerprint for f in report.findings)
        if still:
            text = f"Re-check after the action: still seen — {after.title}"
        elif after.status == RESOLVED:
            text = "Re-check after the action: the condition is gone; the incident is resolved"
        else:
            needed = self.engine.config.autoresolve_checks
            text = (
                f"Re-check after the action: the condition is gone ({after.clear_checks} of "
                f"{needed} clear checks; it resolves automatically at {needed})"
            )
        self.engine.record(incident_id, "recheck", text, note=text, force_note=True)

    # ------------------------------------------------------------------ snoozes
    def end_snoozes(self) -> list[int]:
        return self.engine.end_snoozes()

    # ------------------------------------------------------------------ lifecycle
    def drain(self, timeout: float = 60.0) -> bool:
        """Wait for queued triage to finish (tests, `opsbot check`)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._pool_lock:
                futures = [f for f in self._futures if not f.done()]
            if not futures:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def close(self) -> None:
        self.outbox.stop()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # queued triage is redone later
