"""`bot.incidents.contract.IncidentNotifier`, run on the Slack notifier (against the Slack
emulator) and the console one: the first `incident_changed` shows the card and returns its
root message identity (or None where a front end has none); later ones update that same
message; `thread_note` adds to the incident's thread and never raises."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from bot.console.incidents import ConsoleNotifier
from bot.console.prompt_line import PromptLine
from bot.incidents.contract import IncidentCard, IncidentNotifier
from bot.slack.approvals import ButtonSigner
from bot.slack.client import make_web_client
from bot.slack.incidents import SlackIncidentNotifier
from bot.slack.outbox import ChannelPacer
from core.clock import utcnow
from tests.emulators.slack import SlackEmulator

CHANNEL = "C0INCIDENTS"


@dataclass
class Harness:
    notifier: IncidentNotifier
    screen: Callable[[], str]  # everything a person can see now
    has_identity: bool  # whether the front end returns (channel, ts)
    attached: Callable[[], int] = lambda: 0  # files attached so far (0 where there are none)


def _slack(emulator: SlackEmulator) -> Harness:
    client = make_web_client("xoxb-test", emulator.url)
    notifier = SlackIncidentNotifier(client, CHANNEL, ButtonSigner("secret"), ChannelPacer(0.0))

    def screen() -> str:  # every message in the channel, as it reads now (updates applied)
        with emulator._lock:
            messages = [m for (channel, _), m in emulator.messages.items() if channel == CHANNEL]
        return "\n".join(f"{m.get('text', '')} {m.get('blocks', '')}" for m in messages)

    def attached() -> int:
        return len([c for c in emulator.calls_to("files.completeUploadExternal") if c.ok])

    return Harness(notifier, screen, has_identity=True, attached=attached)


def _console() -> Harness:
    stream = io.StringIO()
    return Harness(ConsoleNotifier(stream, PromptLine()), stream.getvalue, has_identity=False)


@pytest.fixture(params=["slack", "console"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "console":
        yield _console()
        return
    emulator = SlackEmulator().start()
    try:
        yield _slack(emulator)
    finally:
        emulator.stop()


def _card(**overrides: Any) -> IncidentCard:
    values: dict[str, Any] = {
        "id": 7,
        "title": "Disk / is 93% full on web-1",
        "status": "open",
        "severity": "critical",
        "kind": "host",
        "summary": "Disk / crossed 90%",
        "fields": (("Disk /", "93.1% used"),),
        "count": 3,
        "first_seen": utcnow(),
        "last_seen": utcnow(),
    }
    values.update(overrides)
    return IncidentCard(**values)


def _posted(harness: Harness, card: IncidentCard) -> IncidentCard:
    """The card as the engine keeps it after the first notification (its root message)."""
    where = harness.notifier.incident_changed(card)
    if not harness.has_identity:
        assert where is None
        return card
    assert where is not None
    channel, ts = where
    assert isinstance(channel, str) and channel and isinstance(ts, str) and ts
    return replace(card, message_channel=channel, message_ts=ts)


def test_the_first_change_shows_the_card(harness: Harness) -> None:
    _posted(harness, _card())
    shown = harness.screen()
    assert "Disk / is 93% full on web-1" in shown and "93.1% used" in shown


def test_later_changes_update_the_same_root_message(harness: Harness) -> None:
    card = _posted(harness, _card())
    for count, percent in ((4, 95), (5, 97)):
        changed = replace(card, count=count, title=f"Disk / is {percent}% full on web-1")
        where = harness.notifier.incident_changed(changed)
        if harness.has_identity:
            assert where == (card.message_channel, card.message_ts)  # in place, not re-posted
        else:
            assert where is None
    assert "Disk / is 97% full on web-1" in harness.screen()


def test_thread_notes_are_shown_with_their_incident(harness: Harness) -> None:
    card = _posted(harness, _card())
    harness.notifier.thread_note(card, "Evidence: du -sh /var/log = 41G")
    assert "du -sh /var/log = 41G" in harness.screen()


def test_a_note_before_any_root_message_never_raises(harness: Harness) -> None:
    harness.notifier.thread_note(_card(id=8), "triage started")  # dropped or shown, no error


def test_files_of_a_note_reach_the_thread(harness: Harness, tmp_path: Any) -> None:
    from bot.incidents.contract import NoteFile

    card = _posted(harness, _card())
    plot = tmp_path / "anomaly-cpu.png"
    plot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    files = [
        NoteFile(plot.name, "cpu and its band", path=str(plot)),
        NoteFile("incident-7-logs.txt", "2 matching log lines", content="ERROR a\nERROR b\n"),
    ]
    harness.notifier.thread_note(card, "Evidence gathered by triage", files)
    shown = harness.screen()
    assert "Evidence gathered by triage" in shown
    if harness.has_identity:  # Slack: both attached in the thread
        assert harness.attached() == 2
    else:  # a terminal: where the plot is, how long the lines are
        assert str(plot) in shown and "incident-7-logs.txt (2 lines)" in shown
