"""Escalation: an incident nobody acknowledges pages the next level of its severity's chain
(`tools/oncall/escalation.py`), one step at a time, each step once.

Run by the scheduler (a job beside the monitor cycle). Each cycle looks at the open,
unacknowledged, unsnoozed incidents; a step whose time has come is claimed in the ledger
(`tools/oncall/ledger.py`: a unique row, so a restart or a second replica never sends it
twice), sent through the `Pager` (Slack: a direct message to the person on call, a message
with the user-group mention in a channel), and written on the incident's timeline (and its
thread). Acknowledging or resolving the incident stops the chain: only unacknowledged
incidents are looked at, and each is read again just before its step is sent. A reopened
incident starts its chain again (the episode is its reopen count), timed from the reopen.
A step whose every message fails is released and tried again next cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from bot.incidents.engine import IncidentEngine
from bot.incidents.model import OPEN
from bot.incidents.tables import Incident, IncidentEvent
from core.clock import as_utc, utcnow
from core.errors import NotFound
from tools.oncall.escalation import Page, Policies, Step, Target, due_steps, pages
from tools.oncall.ledger import Ledger
from tools.oncall.model import on_call
from tools.oncall.store import OncallStore

log = logging.getLogger(__name__)

ESCALATED = "escalated"  # the timeline event's kind
MAX_INCIDENTS = 500  # unacknowledged incidents looked at per cycle


class Pager(Protocol):
    def page(self, page: Page, incident_id: int) -> None:
        """Send one page; raise when it could not be sent."""


@dataclass(frozen=True)
class Sent:
    incident_id: int
    step: int  # 0-based
    to: tuple[str, ...]


class EscalationMonitor:
    name = "escalation"

    def __init__(
        self,
        incidents: IncidentEngine,
        oncall: OncallStore,
        ledger: Ledger,
        policies: Policies,
        pager: Pager,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.incidents = incidents
        self.oncall = oncall
        self.ledger = ledger
        self.policies = policies
        self.pager = pager
        self.clock = clock

    def run(self) -> list[Sent]:
        """One cycle: send every step that is due; what was sent."""
        now = self.clock()
        sent: list[Sent] = []
        for row in self.incidents.list("unacknowledged", limit=MAX_INCIDENTS):
            if row.snoozed_until is not None and as_utc(row.snoozed_until) > now:
                continue
            steps = self.policies.steps(row.severity)
            if not steps:
                continue
            assert row.id is not None
            episode = row.reopen_count
            done = self.ledger.done_steps(row.id, episode)
            for index in due_steps(steps, self._opened(row), now, done):
                result = self._step(row.id, episode, steps[index], index, now)
                if result is not None:
                    sent.append(result)
        return sent

    def _opened(self, row: Incident) -> datetime:
        """When this episode of the incident began: its open, or its last reopen."""
        if row.reopen_count == 0:
            return as_utc(row.first_seen)
        query = (
            select(IncidentEvent.at)
            .where(IncidentEvent.incident_id == row.id)
            .where(IncidentEvent.kind == "reopened")
            .order_by(col(IncidentEvent.id).desc())
            .limit(1)
        )
        with Session(self.incidents.db) as db:
            at = db.exec(query).first()
        return as_utc(at) if at is not None else as_utc(row.first_seen)

    def _person(self, target: Target, now: datetime) -> str | None:
        try:
            schedule = self.oncall.schedule(target.id)
            overrides = self.oncall.overrides(target.id, now, now + timedelta(seconds=1))
        except NotFound:
            log.warning("escalation names the unknown schedule %r", target.id)
            return None
        who = on_call(schedule, overrides, now)
        return who.primary if target.role == "primary" else who.secondary

    def _step(
        self, incident_id: int, episode: int, step: Step, index: int, now: datetime
    ) -> Sent | None:
        row = self.incidents.get(incident_id)  # acknowledged or resolved since the listing?
        if row.status != OPEN or row.reopen_count != episode:
            return None
        targets = ",".join(str(t) for t in step.notify)
        if not self.ledger.claim_step(incident_id, episode, index, targets):
            return None  # another replica sent it
        people = {t: self._person(t, now) for t in step.notify if t.kind == "schedule"}
        out, missed = pages(
            step, index, title=row.title, on_call=people, default_channel=self.policies.channel
        )
        delivered: list[Page] = []
        for page in out:
            try:
                self.pager.page(page, incident_id)
                delivered.append(page)
            except Exception as exc:
                log.warning("could not page %s for incident #%s: %s", page.to, incident_id, exc)
                missed.append(f"could not reach {page.to} ({type(exc).__name__}: {exc})")
        if out and not delivered:
            self.ledger.release_step(incident_id, episode, index)  # all failed: next cycle
            return None
        text = _timeline_text(step, index, delivered, missed)
        data = {
            "step": index + 1,
            "episode": episode,
            "paged": [p.to for p in delivered],
            "targets": [str(t) for t in step.notify],
            "missed": missed,
        }
        self.incidents.record(incident_id, ESCALATED, text, note=text, data=data)
        log.info("incident #%s: %s", incident_id, text)
        return Sent(incident_id, index, tuple(p.to for p in delivered))


def _said(page: Page) -> str:
    target = page.target
    if target.kind == "schedule":
        return f"{page.to} by direct message (on call: {target.role} of {target.id})"
    if target.kind == "user":
        return f"{page.to} by direct message"
    groups = f" mentioning {', '.join(page.groups)}" if page.groups else ""
    return f"channel {page.to}{groups}"


def _timeline_text(step: Step, index: int, delivered: list[Page], missed: list[str]) -> str:
    head = f"Escalation step {index + 1} (not acknowledged after {step.after_minutes} min)"
    parts = [f"paged {', '.join(_said(p) for p in delivered)}"] if delivered else []
    parts.extend(missed)
    return f"{head}: {'; '.join(parts) or 'nobody to page'}"
