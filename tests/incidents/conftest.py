"""Fixtures for the incident tests: a migrated database (SQLite and PostgreSQL), a clock we
can move, and a notifier that records what the front end was asked to show."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.incidents.contract import IncidentCard, NoteFile
from core.clock import utcnow
from tests.incidents.alerts import TOKEN


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The migrated `engine` of tests/conftest.py (SQLite and PostgreSQL)."""
    return engine


@dataclass
class Clock:
    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class RecordingNotifier:
    """Implements IncidentNotifier like Slack would: posts once, then updates in place."""

    posts: list[IncidentCard] = field(default_factory=list)
    updates: list[IncidentCard] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    files: list[tuple[int, NoteFile]] = field(default_factory=list)
    fail: bool = False

    def incident_changed(self, card: IncidentCard) -> tuple[str, str] | None:
        if self.fail:
            raise ConnectionError("emulated front-end outage")
        if card.message_ts is None:
            self.posts.append(card)
            return ("C_INC", f"1700000000.{card.id:06d}")
        self.updates.append(card)
        return None

    def thread_note(self, card: IncidentCard, text: str, files: Sequence[NoteFile] = ()) -> None:
        if self.fail:
            raise ConnectionError("emulated front-end outage")
        assert card.message_ts is not None, "a note arrived before its root message"
        self.notes.append((card.id, text))
        self.files.extend((card.id, file) for file in files)

    def notes_for(self, incident_id: int) -> list[str]:
        return [t for i, t in self.notes if i == incident_id]


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def webhook_for() -> Iterator[Callable[[Any], str]]:
    """Serve a Runtime's HTTP app with the Alertmanager route on a free port; its webhook
    URL. Stopped at the end."""
    from bot.http.alertmanager import alertmanager_routes
    from bot.http.app import create_app
    from bot.http.server import HttpServer

    servers: list[HttpServer] = []

    def start(runtime: Any) -> str:
        deps = runtime.http_deps()
        servers.append(HttpServer(create_app(deps, alertmanager_routes(deps)), "127.0.0.1", 0))
        return f"http://127.0.0.1:{servers[-1].start()}/alerts/alertmanager"

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def served(make_runtime, database_url, webhook_for) -> tuple[Any, str]:  # type: ignore[no-untyped-def]
    """A Runtime (no triage) and its Alertmanager webhook URL, on SQLite and PostgreSQL."""
    runtime = make_runtime(database_url=database_url, alertmanager_token=TOKEN)
    runtime.incidents.disable_triage()
    return runtime, webhook_for(runtime)
