"""The Slack side of incidents, against the emulator, with a small in-test IncidentActions:
one root message updated in place, quiet thread notes, buttons, suggested-action approvals,
and pacing to about one message per second per channel."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.incidents.contract import IncidentCard, RunbookRef
from bot.slack.approvals import INCIDENT, ButtonSigner
from bot.slack.client import make_web_client
from bot.slack.decisions import Click
from bot.slack.incidents import IncidentClicks, SlackIncidentNotifier
from bot.slack.outbox import ChannelPacer, Outbox
from bot.slack.users import UserNames
from core.access import Caller
from core.clock import utcnow
from tests.emulators.slack import SlackEmulator, block_problems
from tests.slack.helpers import click_body
from tests.slack.stack import Stack, start_stack

CHANNEL = "C0INCIDENTS"


class FakeIncidents:
    """A small in-memory implementation of the IncidentActions protocol."""

    def __init__(self, approvals: Any = None) -> None:
        self.cards: dict[int, IncidentCard] = {}
        self.calls: list[tuple[str, int, str]] = []
        self.approvals = approvals
        self.action_ids: dict[int, list[str]] = {}

    def add(self, card: IncidentCard) -> IncidentCard:
        self.cards[card.id] = card
        return card

    def stored(self, incident_id: int, channel: str, ts: str) -> None:
        self.cards[incident_id] = replace(
            self.cards[incident_id], message_channel=channel, message_ts=ts
        )

    def card(self, incident_id: int) -> IncidentCard:
        if incident_id not in self.cards:
            raise ValueError(f"no incident #{incident_id}")
        card = self.cards[incident_id]
        if self.approvals is not None and incident_id in self.action_ids:
            views = tuple(self.approvals.view(a) for a in self.action_ids[incident_id])
            card = replace(card, actions=views)
        return card

    def acknowledge(self, incident_id: int, user: str) -> IncidentCard:
        self.calls.append(("ack", incident_id, user))
        card = self.card(incident_id)
        if card.status != "open":
            raise ValueError(f"incident #{incident_id} is {card.status}, not open")
        self.cards[incident_id] = replace(card, status="acknowledged", acknowledged_by=user)
        return self.card(incident_id)

    def resolve(self, incident_id: int, user: str) -> IncidentCard:
        self.calls.append(("resolve", incident_id, user))
        card = self.card(incident_id)
        self.cards[incident_id] = replace(card, status="resolved", resolved_by=user)
        return self.card(incident_id)

    def snooze(self, incident_id: int, user: str, minutes: int) -> IncidentCard:
        self.calls.append(("snooze", incident_id, user))
        card = self.card(incident_id)
        until = utcnow() + timedelta(minutes=minutes)
        self.cards[incident_id] = replace(card, snoozed_until=until)
        return self.card(incident_id)


def _card(incident_id: int = 7, **overrides: Any) -> IncidentCard:
    values: dict[str, Any] = {
        "id": incident_id,
        "title": "Disk / is 93% full on web-1",
        "status": "open",
        "severity": "critical",
        "kind": "host",
        "summary": "Disk / crossed 90% <@U0EVERYONE> & keeps *growing*.",
        "fields": (("Disk /", "93.1% used"), ("Forecast", "full in 3 h")),
        "runbook": RunbookRef("Disk full", "Free space", "host/disk-full.md", "Find big files"),
        "count": 3,
        "first_seen": utcnow() - timedelta(minutes=10),
        "last_seen": utcnow(),
    }
    values.update(overrides)
    return IncidentCard(**values)


@pytest.fixture
def notifier(slack_emulator: SlackEmulator) -> SlackIncidentNotifier:
    client = make_web_client("xoxb-test", slack_emulator.url)
    return SlackIncidentNotifier(
        client,
        CHANNEL,
        ButtonSigner("secret"),
        ChannelPacer(0.0),
        FakeIncidents(),
        UserNames(client),
    )


def _posted(notifier: SlackIncidentNotifier) -> IncidentCard:
    """A new incident whose root message is posted, as the store then holds it."""
    actions: FakeIncidents = notifier.actions  # type: ignore[assignment]
    first = actions.add(_card())
    channel, ts = notifier.incident_changed(first)  # type: ignore[misc]
    actions.stored(first.id, channel, ts)
    return actions.card(first.id)


def test_root_message_is_posted_once_then_updated_in_place(
    notifier: SlackIncidentNotifier, slack_emulator: SlackEmulator
) -> None:
    actions: FakeIncidents = notifier.actions  # type: ignore[assignment]
    card = actions.add(_card())
    channel, ts = notifier.incident_changed(card)  # type: ignore[misc]
    assert channel == CHANNEL
    posted = slack_emulator.message(CHANNEL, ts)
    assert posted is not None and block_problems(posted["blocks"]) == []
    text = str(posted["blocks"])
    assert "Disk / is 93% full on web-1" in text and "🔴" in text
    assert "&lt;@U0EVERYONE&gt; &amp; keeps *growing*" in text  # nobody is pinged
    assert "93.1% used" in text and "host/disk-full.md" in text and "Free space" in text
    buttons = next(b for b in posted["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in buttons["elements"]] == [
        "incident_ack",
        "incident_resolve",
        "incident_snooze",
    ]
    actions.stored(7, channel, ts)
    for count in (4, 5):
        changed = replace(actions.card(7), count=count, severity="warning")
        actions.cards[7] = changed
        assert notifier.incident_changed(changed) == (CHANNEL, ts)
    assert len(slack_emulator.posts(CHANNEL)) == 1  # never re-posted
    assert len(slack_emulator.calls_to("chat.update", ts=ts)) == 2
    assert "5 times" in str(slack_emulator.message(CHANNEL, ts)["blocks"])  # type: ignore[index]

    notifier.thread_note(actions.card(7), "Evidence: <!channel> du -sh /var/log = 41G & rising")
    (note,) = slack_emulator.posts(CHANNEL, thread_ts=ts)
    assert note.params["reply_broadcast"] is False
    assert "&lt;!channel&gt;" in note.params["text"] and "<!" not in note.params["text"]


def test_root_message_deleted_in_slack_is_posted_again(
    notifier: SlackIncidentNotifier, slack_emulator: SlackEmulator
) -> None:
    card = _card(message_channel=CHANNEL, message_ts="1.000001")
    channel, ts = notifier.incident_changed(card)  # type: ignore[misc]
    assert ts != "1.000001" and slack_emulator.message(channel, ts) is not None


def _incident_click(
    notifier: SlackIncidentNotifier, action: str, user: str, ts: str, incident: str = "7"
) -> Click:
    return Click(
        user=user,
        channel=CHANNEL,
        message_ts=ts,
        thread_ts=ts,
        action_id=f"incident_{action}",
        value=notifier.signer.sign(INCIDENT, incident, action),
    )


def test_buttons_call_incident_actions_and_note_by_name(
    notifier: SlackIncidentNotifier, slack_emulator: SlackEmulator
) -> None:
    actions: FakeIncidents = notifier.actions  # type: ignore[assignment]
    channel, ts = notifier.incident_changed(actions.add(_card()))  # type: ignore[misc]
    actions.stored(7, channel, ts)
    outbox = Outbox(notifier.client, notifier.signer)
    clicks = IncidentClicks(notifier, notifier.signer, outbox)

    clicks.handle(_incident_click(notifier, "ack", "U0ONCALL", ts))
    assert actions.calls == [("ack", 7, "U0ONCALL")]
    root = str(slack_emulator.message(CHANNEL, ts)["blocks"])  # type: ignore[index]
    assert "acknowledged by <@U0ONCALL>" in root
    assert "incident_ack" not in root and "incident_resolve" in root
    notes = [c.params["text"] for c in slack_emulator.posts(CHANNEL, thread_ts=ts)]
    assert notes == ["Acknowledged by Olga Oncall."]  # a name, not a mention

    clicks.handle(_incident_click(notifier, "ack", "U0ONCALL", ts))  # already acknowledged
    assert "is acknowledged, not open" in slack_emulator.ephemerals[-1]["text"]
    tampered = replace(_incident_click(notifier, "resolve", "U0ONCALL", ts), value="7|resolve|0|00")
    clicks.handle(tampered)
    assert "signature is invalid" in slack_emulator.ephemerals[-1]["text"]
    clicks.handle(_incident_click(notifier, "snooze", "U0GROUP1", ts))
    clicks.handle(_incident_click(notifier, "resolve", "U0GROUP1", ts))
    assert [c[0] for c in actions.calls] == ["ack", "ack", "snooze", "resolve"]
    final = str(slack_emulator.message(CHANNEL, ts)["blocks"])  # type: ignore[index]
    assert "[resolved]" in final and "resolved by <@U0GROUP1>" in final
    assert "'actions'" not in final  # no buttons on a resolved incident
    notes = [c.params["text"] for c in slack_emulator.posts(CHANNEL, thread_ts=ts)]
    assert notes[1:] == ["Snoozed for 60 minutes by Gus Group.", "Resolved by Gus Group."]


def test_many_incidents_are_paced_per_channel(slack_emulator: SlackEmulator) -> None:
    client = make_web_client("xoxb-test", slack_emulator.url)
    notifier = SlackIncidentNotifier(client, CHANNEL, ButtonSigner("s"), ChannelPacer(0.25))
    started = time.monotonic()
    for incident in range(1, 6):
        notifier.incident_changed(_card(incident))
    elapsed = time.monotonic() - started
    posts = slack_emulator.posts(CHANNEL)
    assert len(posts) == 5
    gaps = [b.at - a.at for a, b in itertools.pairwise(posts)]
    assert min(gaps) >= 0.2, gaps
    assert elapsed >= 0.95
    with pytest.raises(ValueError, match="INCIDENT_CHANNEL"):
        SlackIncidentNotifier(client, "", ButtonSigner("s"))


def test_pacer_reserves_slots_per_channel() -> None:
    now = [0.0]
    slept: list[float] = []
    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=slept.append)
    assert [pacer.wait("A") for _ in range(3)] == [0.0, 1.0, 2.0]
    assert pacer.wait("B") == 0.0  # other channels are not held up
    assert slept == [1.0, 2.0]


def test_pacer_counts_from_when_a_slow_post_returned() -> None:
    """A first post that takes 1.4 s must not let the second arrive right behind it."""
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(0.25, clock=lambda: now[0], sleep=sleep)
    with pacer.slot("A") as waited:
        assert waited == 0.0
        now[0] += 1.4  # the request is slow
    with pacer.slot("A") as waited:
        assert waited == pytest.approx(0.25)  # from its return, not from its start
    assert now[0] == pytest.approx(1.65)


# ---------------------------------------------------------------------- suggested actions
@pytest.fixture
def stack(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[Stack]:
    built = start_stack(tmp_path, slack_emulator, incident_channel=CHANNEL)
    yield built
    built.close()


def test_suggested_action_approved_from_the_incident_message(stack: Stack) -> None:
    runtime, emu = stack.runtime, stack.emulator
    actions = FakeIncidents(approvals=runtime.approvals)
    notifier = runtime.slack.incident_notifier(actions, interval=0.0)
    tool = runtime.toolbox.get("run_remediation")
    assert tool is not None
    args = {"action": "clean_directory", "params": {"path": "/var/tmp/cache"}}
    view = runtime.approvals.request(
        thread_id="incident:7",
        tool_call_id="triage-1",
        tool=tool,
        args=args,
        caller=Caller(user="opsbot", via="scheduler"),
        preview="would delete 12 files (1.2 GiB)",
        risk=tool.risk_of(tool.parse(args)),
        incident_id=7,
    )
    actions.add(_card())
    actions.action_ids[7] = [view.id]
    channel, ts = notifier.incident_changed(actions.card(7))
    actions.stored(7, channel, ts)
    root = emu.message(CHANNEL, ts)
    assert root is not None and "would delete 12 files (1.2 GiB)" in str(root["blocks"])
    approve = next(
        e
        for b in root["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "approval_approve"
    )

    def click(user: str) -> None:
        raw = click_body(
            action_id="approval_approve",
            value=approve["value"],
            user=user,
            channel=CHANNEL,
            message_ts=ts,
            thread_ts=None,
            response_url=emu.response_url("incident"),
        )
        assert stack.sender.form(raw).status_code == 200

    click("U0STRANGER")
    emu.wait_for(lambda: [e for e in emu.ephemerals if e["user"] == "U0STRANGER"])
    assert stack.runs() == []
    click("U0ONCALL")
    click("U0ONCALL")  # double click
    emu.wait_for(
        lambda: [
            c
            for c in emu.posts(CHANNEL, thread_ts=ts)
            if "Approved by Olga Oncall" in c.params["text"]
        ],
        what="the outcome note in the incident thread",
    )
    time.sleep(0.5)
    assert stack.runs() == ["clean_directory {'path': '/var/tmp/cache'} requested by opsbot"]
    assert runtime.approvals.view(view.id).status == "executed"
    updated = str(emu.message(CHANNEL, ts)["blocks"])  # type: ignore[index]
    assert "approval_approve" not in updated and "Approved by <@U0ONCALL>" in updated
    notes = [c.params["text"] for c in emu.posts(CHANNEL, thread_ts=ts)]
    assert len(notes) == 1 and "<@" not in notes[0]


def test_incident_buttons_can_be_limited_to_on_call_engineers(
    notifier: SlackIncidentNotifier, slack_emulator: SlackEmulator
) -> None:
    from bot.approvals import ApprovalError

    actions: FakeIncidents = notifier.actions  # type: ignore[assignment]
    channel, ts = notifier.incident_changed(actions.add(_card()))  # type: ignore[misc]
    actions.stored(7, channel, ts)
    asked: list[str] = []

    def oncall_only(user: str) -> None:
        asked.append(user)
        if user != "U0ONCALL":
            raise ApprovalError("only on-call engineers can acknowledge, resolve or snooze")

    outbox = Outbox(notifier.client, notifier.signer)
    clicks = IncidentClicks(notifier, notifier.signer, outbox, authorise=oncall_only)
    for action in ("ack", "resolve", "snooze"):
        clicks.handle(_incident_click(notifier, action, "U0STRANGER", ts))
    assert actions.calls == []  # nothing changed
    texts = [e["text"] for e in slack_emulator.ephemerals]
    assert len(texts) == 3 and all("Refused: only on-call engineers" in t for t in texts)
    assert not slack_emulator.posts(CHANNEL, thread_ts=ts)  # no note, no root update
    clicks.handle(_incident_click(notifier, "ack", "U0ONCALL", ts))
    assert actions.calls == [("ack", 7, "U0ONCALL")]
    assert asked == ["U0STRANGER"] * 3 + ["U0ONCALL"]  # checked at every click


def test_a_multi_line_runbook_excerpt_is_quoted_on_every_line(
    notifier: SlackIncidentNotifier, slack_emulator: SlackEmulator
) -> None:
    actions: FakeIncidents = notifier.actions  # type: ignore[assignment]
    excerpt = "1. Find big files\n\n2. Rotate the logs\n3. Page storage"
    ref = RunbookRef("Disk full", "Free space", "host/disk-full.md", excerpt)
    channel, ts = notifier.incident_changed(actions.add(_card(runbook=ref)))  # type: ignore[misc]
    posted = slack_emulator.message(channel, ts)
    assert posted is not None
    shown = next(b["text"]["text"] for b in posted["blocks"] if "Runbook" in str(b.get("text", "")))
    quoted = shown.split("\n")[1:]
    assert quoted == [">1. Find big files", ">", ">2. Rotate the logs", ">3. Page storage"]


def test_thread_notes_name_people_without_pinging_them(
    notifier: SlackIncidentNotifier, slack_emulator: SlackEmulator
) -> None:
    card = _posted(notifier)
    channel, ts = str(card.message_channel), str(card.message_ts)
    notifier.thread_note(card, "✅ restart ran, approved by <@U0ONCALL>; asked by <@U0NOBODY>")
    (note,) = [m for m in slack_emulator.thread(channel, ts) if m["ts"] != ts]
    assert note["text"] == "✅ restart ran, approved by Olga Oncall; asked by U0NOBODY"
    assert "<@" not in str(note["blocks"])  # a name, not a mention: nobody is pinged


def test_thread_note_files_are_attached_in_the_thread(
    notifier: SlackIncidentNotifier, slack_emulator: SlackEmulator, tmp_path: Path
) -> None:
    from bot.incidents.contract import NoteFile

    actions: FakeIncidents = notifier.actions  # type: ignore[assignment]
    actions.add(_card())
    channel, ts = notifier.incident_changed(actions.card(7))  # type: ignore[misc]
    actions.stored(7, channel, ts)
    plot = tmp_path / "anomaly-cpu.png"
    plot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    files = [
        NoteFile("anomaly-cpu.png", "The series and its band", path=str(plot)),
        NoteFile("incident-7-logs.txt", "3 matching log lines", content="ERROR a\nERROR b\n"),
        NoteFile("gone.png", "A plot removed since", path=str(tmp_path / "gone.png")),
    ]
    notifier.thread_note(actions.card(7), "Evidence gathered by triage: …", files)
    completed = [c for c in slack_emulator.calls_to("files.completeUploadExternal") if c.ok]
    assert len(completed) == 2
    sizes = sorted(len(body) for body in slack_emulator.uploads.values())
    assert sizes == sorted([len(plot.read_bytes()), len("ERROR a\nERROR b\n")])
    assert all(c.params.get("thread_ts") == ts for c in completed)
    notes = [p.params["text"] for p in slack_emulator.posts(CHANNEL, thread_ts=ts)]
    assert notes[0] == "Evidence gathered by triage: …"
    assert any("could not attach gone.png" in n and "no longer on disk" in n for n in notes)


def test_a_file_slack_refuses_is_said_in_the_thread(
    notifier: SlackIncidentNotifier, slack_emulator: SlackEmulator
) -> None:
    from bot.incidents.contract import NoteFile

    actions: FakeIncidents = notifier.actions  # type: ignore[assignment]
    actions.add(_card())
    channel, ts = notifier.incident_changed(actions.card(7))  # type: ignore[misc]
    actions.stored(7, channel, ts)
    slack_emulator.fail("files.getUploadURLExternal", "not_allowed_token_type")
    notifier.thread_note(actions.card(7), "evidence", [NoteFile("l.txt", "logs", content="x\n")])
    notes = [p.params["text"] for p in slack_emulator.posts(CHANNEL, thread_ts=ts)]
    assert notes == ["evidence", "(I could not attach l.txt: not_allowed_token_type)"]
