"""Deliver incident changes to the front ends (console, Slack) from the database.

The engine only writes: it marks an incident `notify_pending` when its root message should
change, and writes thread notes as timeline events with `delivered_at` NULL. The outbox, run
by the one process that owns the notifiers (the scheduler leader), reads that work back and
delivers it: root messages first, then notes in order. So:

- a change made by any process (`opsbot approve` in a terminal, another replica's
  Alertmanager intake) reaches Slack once, through the leader;
- Alertmanager intake and the monitor cycle never wait for Slack's rate limits;
- many changes to one incident collapse into one message update;
- a failed delivery stays pending and is retried (root updates) or released (notes).

`kick()` wakes the worker at once after a local change; it also polls every `period`
seconds for changes made by other processes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.incidents.contract import IncidentCard, IncidentNotifier, NoteFile
from bot.incidents.tables import Incident, IncidentEvent
from bot.storage.db import session
from bot.worker import PollingWorker
from core.clock import as_utc, utcnow

log = logging.getLogger(__name__)

MAX_NOTE_AGE = timedelta(hours=1)  # older undelivered notes are dropped, not posted late
RETRY_AFTER = 10.0  # seconds before retrying an incident whose root update failed


class IncidentOutbox(PollingWorker):
    thread_name = "opsbot-incident-outbox"
    failure = "incident outbox failed"
    pump_on_stop = True  # deliver what is left before exiting

    def __init__(
        self,
        db: Engine,
        load_card: Callable[[Incident], IncidentCard],
        notifiers: list[IncidentNotifier] | None = None,
        period: float = 2.0,
    ) -> None:
        super().__init__(period)
        self.db = db
        self._load = load_card
        self.notifiers: list[IncidentNotifier] = list(notifiers or [])
        self._failed: dict[int, float] = {}

    def add_notifier(self, notifier: IncidentNotifier) -> None:
        self.notifiers.append(notifier)

    # ------------------------------------------------------------------ delivery
    def pump(self) -> int:
        """Deliver pending root updates, then pending notes. Returns deliveries made."""
        if not self.notifiers:
            return 0
        with self._pump_lock:
            posted, blocked = self._roots()
            return posted + self._notes(blocked)

    def _roots(self) -> tuple[int, set[int]]:
        """Post or update root messages; also return incidents whose root is not posted
        yet (their notes must wait, so a thread never starts without its message)."""
        now = utcnow()
        with session(self.db) as db:
            rows = list(
                db.exec(
                    select(Incident)
                    .where(col(Incident.notify_pending).is_(True))
                    .order_by(col(Incident.id))
                    .limit(100)
                )
            )
        done = 0
        blocked: set[int] = set()
        for row in rows:
            assert row.id is not None
            unposted = row.notified_at is None
            snoozed = row.snoozed_until is not None and as_utc(row.snoozed_until) > now
            if unposted and snoozed:
                blocked.add(row.id)  # muted before it was ever shown: post when the snooze ends
                continue
            retry_at = self._failed.get(row.id)
            if retry_at is not None and time.monotonic() < retry_at:
                if unposted:
                    blocked.add(row.id)
                continue
            card = self._load(row)
            message: tuple[str, str] | None = None
            failed = False
            for notifier in list(self.notifiers):
                try:
                    result = notifier.incident_changed(card)
                except Exception as exc:
                    failed = True
                    log.warning(
                        "could not post incident #%s via %s: %s: %s",
                        row.id,
                        type(notifier).__name__,
                        type(exc).__name__,
                        exc,
                    )
                    continue
                if result is not None and message is None:
                    message = result
            self._settle(row, message, failed)
            if failed:
                self._failed[row.id] = time.monotonic() + RETRY_AFTER
                if unposted and message is None:
                    blocked.add(row.id)
            else:
                self._failed.pop(row.id, None)
                done += 1
        return done, blocked

    def _settle(self, row: Incident, message: tuple[str, str] | None, failed: bool) -> None:
        with session(self.db) as db:
            if message is not None and row.message_ts is None:
                db.execute(
                    update(Incident)
                    .where(col(Incident.id) == row.id)
                    .where(col(Incident.message_ts).is_(None))
                    .values(message_channel=message[0], message_ts=message[1])
                )
            if not failed:
                # only if nothing changed meanwhile; otherwise it stays pending for another pass
                db.execute(
                    update(Incident)
                    .where(col(Incident.id) == row.id)
                    .where(col(Incident.revision) == row.revision)
                    .values(notify_pending=False, notified_at=utcnow())
                )
                if row.notified_at is None:
                    db.execute(
                        update(Incident)
                        .where(col(Incident.id) == row.id)
                        .where(col(Incident.notified_at).is_(None))
                        .values(notified_at=utcnow())
                    )
            db.commit()

    def _notes(self, blocked: set[int]) -> int:
        now = utcnow()
        with session(self.db) as db:
            events = list(
                db.exec(
                    select(IncidentEvent)
                    .where(col(IncidentEvent.delivered_at).is_(None))
                    .order_by(col(IncidentEvent.id))
                    .limit(200)
                )
            )
        done = 0
        cards: dict[int, IncidentCard | None] = {}
        for event in events:
            if event.incident_id in blocked:
                continue
            if not self._claim(event.id):
                continue  # another process took it
            if not event.note or now - as_utc(event.at) > MAX_NOTE_AGE:
                continue  # nothing to post, or too old to still be useful
            if event.incident_id not in cards:
                cards[event.incident_id] = self._card(event.incident_id)
            card = cards[event.incident_id]
            if card is None:
                continue
            delivered = True
            files = note_files(event)
            for notifier in list(self.notifiers):
                try:
                    notifier.thread_note(card, event.note, files)
                except Exception as exc:
                    delivered = False
                    log.warning(
                        "could not add a note to incident #%s via %s: %s: %s",
                        event.incident_id,
                        type(notifier).__name__,
                        type(exc).__name__,
                        exc,
                    )
            if delivered:
                done += 1
            else:
                self._release(event.id)
                blocked.add(event.incident_id)  # keep this thread's notes in order
        return done

    def _card(self, incident_id: int) -> IncidentCard | None:
        with session(self.db) as db:
            row = db.get(Incident, incident_id)
        return self._load(row) if row is not None else None

    def _claim(self, event_id: int | None) -> bool:
        with session(self.db) as db:
            result = db.execute(
                update(IncidentEvent)
                .where(col(IncidentEvent.id) == event_id)
                .where(col(IncidentEvent.delivered_at).is_(None))
                .values(delivered_at=utcnow())
            )
            db.commit()
            return cast("CursorResult[Any]", result).rowcount == 1

    def _release(self, event_id: int | None) -> None:
        with session(self.db) as db:
            db.execute(
                update(IncidentEvent)
                .where(col(IncidentEvent.id) == event_id)
                .values(delivered_at=None)
            )
            db.commit()


def note_files(event: IncidentEvent) -> list[NoteFile]:
    """The files an event asks to post with its note (`data["files"]`); one that cannot be
    read is left out and logged."""
    found = []
    for item in (event.data or {}).get("files") or []:
        file = NoteFile.from_json(item)
        if file is None:
            log.warning("incident event %s names a file opsbot cannot read: %r", event.id, item)
        else:
            found.append(file)
    return found
