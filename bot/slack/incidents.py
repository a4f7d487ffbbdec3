"""The Slack side of incidents: one root message per incident in INCIDENT_CHANNEL, updated in
place; evidence and progress in its thread without pinging anyone, with its files (an
anomaly's plot, the log lines triage pulled) attached there; Acknowledge / Resolve /
Snooze buttons; Approve / Reject on each suggested action (handled by `decisions.py`).

Slack allows about one message per second per channel, and an incident storm opens many at
once, so every post and update to a channel goes through a `ChannelPacer`. Thread notes are
escaped (no `<@user>`, `<!here>` or `<!channel>` can slip in) and never broadcast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.approvals import ApprovalError
from bot.incidents.contract import IncidentActions, IncidentCard, NoteFile
from bot.slack.approvals import (
    ACK,
    INCIDENT,
    INCIDENT_ACTIONS,
    RESOLVE,
    SNOOZE,
    ButtonError,
    ButtonSigner,
)
from bot.slack.cards import SNOOZE_MINUTES, incident_blocks, incident_fallback
from bot.slack.decisions import Click
from bot.slack.mrkdwn import escape, split_text, truncate
from bot.slack.outbox import ChannelPacer, Outbox, slack_error
from bot.slack.render import SlackMessage, Upload, section
from bot.slack.uploads import attach, failure_note
from bot.slack.users import UserNames
from core.approvals import APPROVED, EXECUTING, PENDING, ApprovalView, outcome_text
from core.errors import Refused
from core.people import with_names

log = logging.getLogger(__name__)


class SlackIncidentNotifier:
    """Implements `bot.incidents.contract.IncidentNotifier` for Slack."""

    def __init__(
        self,
        client: Any,
        channel: str,
        signer: ButtonSigner,
        pacer: ChannelPacer | None = None,
        actions: IncidentActions | None = None,
        names: UserNames | None = None,
    ) -> None:
        if not channel:
            raise ValueError("INCIDENT_CHANNEL is not set")
        self.client = client
        self.channel = channel
        self.signer = signer
        self.pacer = pacer or ChannelPacer()
        self.actions = actions
        self.names = names or UserNames(client)

    def _message(self, card: IncidentCard) -> SlackMessage:
        return SlackMessage(
            text=truncate(incident_fallback(card), 3000), blocks=incident_blocks(card, self.signer)
        )

    def incident_changed(self, card: IncidentCard) -> tuple[str, str] | None:
        """Post the root message the first time, update it in place afterwards."""
        message = self._message(card)
        if card.message_ts:
            channel = card.message_channel or self.channel
            try:
                with self.pacer.slot(channel):
                    self.client.chat_update(channel=channel, ts=card.message_ts, **message.kwargs())
                return channel, card.message_ts
            except Exception as exc:
                if slack_error(exc) not in ("message_not_found", "channel_not_found"):
                    raise
                log.warning(
                    "incident %s root message is gone (%s); posting a new one",
                    card.id,
                    slack_error(exc),
                )
        with self.pacer.slot(self.channel):
            response = self.client.chat_postMessage(
                channel=self.channel, unfurl_links=False, unfurl_media=False, **message.kwargs()
            )
        return str(response["channel"]), str(response["ts"])

    def thread_note(self, card: IncidentCard, text: str, files: Sequence[NoteFile] = ()) -> None:
        """Evidence or progress in the incident's thread: no mentions, no broadcast; then
        its files (an anomaly's plot, the log lines), each attached in the thread."""
        if not card.message_ts:
            log.warning(
                "incident %s has no root message yet; note dropped: %s", card.id, text[:200]
            )
            return
        channel = card.message_channel or self.channel
        named = with_names(text, self.names.name)  # names, not mentions: nobody is pinged
        for piece in split_text(escape(named))[:5]:
            with self.pacer.slot(channel):
                self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=card.message_ts,
                    text=piece,
                    blocks=[section(piece)],
                    reply_broadcast=False,
                    unfurl_links=False,
                    unfurl_media=False,
                )
        for file in files:
            self._attach(channel, card.message_ts, file)

    def _attach(self, channel: str, thread_ts: str, file: NoteFile) -> None:
        """One file in the thread; when it cannot be attached, a line that says so (a file
        gone from disk, or Slack's refusal), so the thread never silently lacks it."""
        if file.path is not None and not Path(file.path).is_file():
            error: str | None = f"{file.path} is no longer on disk"
        else:
            upload = Upload(file.filename, file.title, Path(file.path) if file.path else None,
                            file.content)  # fmt: skip
            with self.pacer.slot(channel):
                error = attach(self.client, upload, channel, thread_ts)
        if error is not None:
            with self.pacer.slot(channel):
                self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    **failure_note(file.filename, error).kwargs(),
                )

    # ------------------------------------------------------------------ from approval clicks
    def refresh(self, incident_id: int, view: ApprovalView | None = None) -> None:
        """Re-render an incident after one of its suggested actions was decided; with a
        settled `view`, also say in the thread how it went (by name, without pinging)."""
        if self.actions is None:
            log.warning("incident %s changed but no IncidentActions is wired", incident_id)
            return
        card = self.actions.card(incident_id)
        self.incident_changed(card)
        if view is not None and view.status not in (PENDING, APPROVED, EXECUTING):
            self.thread_note(card, self.outcome_note(view))

    def outcome_note(self, view: ApprovalView) -> str:
        return outcome_text(view, display=self.names.name)


class IncidentClicks:
    """Acknowledge / Resolve / Snooze buttons on incident root messages.

    With `echo`, the click's result is shown here (root message re-rendered, a note in the
    thread). Without it, the IncidentActions implementation announces its own changes
    through the notifier (opsbot's incident service does, via its outbox), and echoing
    would post every note twice.

    `authorise(user)` raises (with the refusal to show) when `user` may not use these
    buttons; None lets anyone who can click (INCIDENT_ACTIONS_ONCALL_ONLY=false).
    """

    def __init__(
        self,
        notifier: SlackIncidentNotifier,
        signer: ButtonSigner,
        outbox: Outbox,
        echo: bool = True,
        authorise: Callable[[str], None] | None = None,
    ) -> None:
        self.notifier = notifier
        self.signer = signer
        self.outbox = outbox
        self.echo = echo
        self.authorise = authorise
        # set by the front end: Snooze opens a modal to pick how long (bot/slack/snooze.py);
        # None: Snooze snoozes for SNOOZE_MINUTES at once
        self.ask_snooze: Callable[[Click, int], None] | None = None

    def handle(self, click: Click) -> None:
        """Process one click (already acked). Never raises."""
        try:
            self._handle(click)
        except Exception as exc:
            log.exception("incident click failed")
            self.outbox.ephemeral(
                click.channel,
                click.user,
                f"Sorry, that failed ({type(exc).__name__}).",
                click.thread_ts,
            )

    def _handle(self, click: Click) -> None:
        action = INCIDENT_ACTIONS.get(click.action_id)
        if action is None or self.notifier.actions is None:
            self.outbox.ephemeral(
                click.channel,
                click.user,
                "Incident actions are not available right now.",
                click.thread_ts,
            )
            return
        try:
            incident_id = self.checked(click, action)
            if action == SNOOZE and self.ask_snooze is not None:
                self.ask_snooze(click, incident_id)  # the modal's submission snoozes
                return
            done = self.apply(click, incident_id, action, SNOOZE_MINUTES)
        except (Refused, ValueError) as exc:
            self.outbox.ephemeral(click.channel, click.user, f"Refused: {exc}", click.thread_ts)
            return
        done()

    def checked(self, click: Click, action: str) -> int:
        """The incident of a genuine `action` button value that `click.user` may use;
        raises Refused (shown to the clicker) otherwise."""
        try:
            incident_id = int(self.signer.verify(INCIDENT, click.value, action).subject)
        except ValueError:
            raise ButtonError("this button is not one of mine (malformed value)") from None
        if self.authorise is not None:
            try:
                self.authorise(click.user)  # checked at every click: on-call lists change
            except ApprovalError as exc:
                log.info("incident %s %s by %s refused: %s", incident_id, action, click.user, exc)
                raise ApprovalError(f"{exc}. Nothing was changed") from None
        return incident_id

    def apply(
        self, click: Click, incident_id: int, action: str, minutes: int
    ) -> Callable[[], None]:
        """Do `action` (raises ValueError when the incident refuses it); returns what shows
        it (with `echo`: the root message and a thread note), to call after any ack."""
        actions = self.notifier.actions
        if actions is None:
            raise ValueError("incident actions are not available right now")
        name = self.notifier.names.name(click.user) if self.echo else click.user
        if action == ACK:
            card = actions.acknowledge(incident_id, click.user)
            note = f"Acknowledged by {name}."
        elif action == RESOLVE:
            card = actions.resolve(incident_id, click.user)
            note = f"Resolved by {name}."
        elif action == SNOOZE:
            card = actions.snooze(incident_id, click.user, minutes)
            note = f"Snoozed for {minutes} minutes by {name}."
        else:  # pragma: no cover - INCIDENT_ACTIONS holds exactly these three
            raise ValueError(f"unknown incident action {action}")

        def show() -> None:
            if not self.echo:
                return
            shown = (
                card if card.message_ts else _with_message(card, click.channel, click.message_ts)
            )
            self.notifier.incident_changed(shown)
            self.notifier.thread_note(shown, note)

        return show


def _with_message(card: IncidentCard, channel: str, ts: str) -> IncidentCard:
    from dataclasses import replace

    return replace(card, message_channel=channel, message_ts=ts)
