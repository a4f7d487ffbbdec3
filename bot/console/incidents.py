"""The console front end for incidents: the same information as the Slack message, as text.

Used by `opsbot run` without Slack and by `opsbot check`. A terminal cannot edit what it
printed, so each change prints the card again (the engine only reports significant changes)
and thread notes print as indented lines under the incident's number.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from bot.console.prompt_line import PROMPT, PromptLine
from bot.incidents.contract import IncidentCard, NoteFile, after
from core.approvals import ApprovalView
from core.clock import iso
from core.people import with_names

_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
_STATUS_ICON = {"open": "", "acknowledged": "👀 ", "resolved": "✅ "}


def _action_lines(view: ApprovalView) -> list[str]:
    args = view.args
    if view.tool == "run_remediation":
        what = f"{args.get('action')} {args.get('params', {})}"
    else:
        what = f"{view.tool} {args}"
    head = f"  ▸ {view.id} {what} · risk {view.risk} · {view.status}"
    lines = [head]
    if view.status == "pending":
        lines.extend("    │ " + line for line in (view.preview or "").splitlines()[:12])
        needed = f" ({view.approvals_needed} approvers needed)" if view.approvals_needed > 1 else ""
        lines.append(
            f"    └ approve: opsbot approve {view.id}   reject: opsbot reject {view.id}{needed}"
            f"   (expires {iso(view.expires_at)})"
        )
    elif view.result:
        by = f" (by {view.decided_by})" if view.decided_by else ""
        lines.append(f"    └ {view.status}{by}: {view.result.splitlines()[0][:200]}")
        if view.verification:
            lines.append(f"      verification: {view.verification}")
    elif view.decided_by:
        lines.append(f"    └ {view.status} by {view.decided_by}")
    return lines


def render_card(card: IncidentCard) -> str:
    icon = _ICON.get(card.severity, "•")
    status = card.status.upper()
    lines = [
        f"{_STATUS_ICON.get(card.status, '')}{icon} INCIDENT #{card.id} [{status} · "
        f"{card.severity}] {card.title}"
    ]
    meta = f"  {card.labels.get('alertname', card.kind)} · {card.kind} · seen {card.count}×"
    if card.first_seen:
        meta += f" since {iso(card.first_seen)}"
    if card.acknowledged_by and card.status != "resolved":
        meta += f" · acknowledged by {card.acknowledged_by}"
    if card.resolved_by and card.status == "resolved":
        meta += f" · resolved by {card.resolved_by}"
    if card.snoozed_until:
        meta += f" · snoozed until {iso(card.snoozed_until)}"
    lines.append(meta)
    if card.alert_warning:
        lines.append(f"  {card.alert_warning}")
    if card.fields:
        lines.append("  " + " · ".join(f"{k}: {v}" for k, v in card.fields))
    if card.summary:
        lines.extend("  " + line for line in card.summary.strip().splitlines())
    if card.signals:
        first = card.signals[0].first_seen
        lines.append(f"  Signals ({len(card.signals)}, in the order they started):")
        for i, signal in enumerate(card.signals):
            when = "first" if i == 0 else after(first, signal.first_seen)
            on = f" · {signal.entity}" if signal.entity else ""
            state = "" if signal.firing else " · cleared"
            lines.append(
                f"    {i + 1}. [{signal.severity}] {signal.alertname}: {signal.title} · {when}{on}{state}"
            )
    if card.runbook:
        section = f" › {card.runbook.section}" if card.runbook.section else ""
        lines.append(f"  Runbook: {card.runbook.title}{section} ({card.runbook.source})")
        if card.runbook.url and card.runbook.url != card.runbook.source:
            lines.append(f"  Alert's runbook: {card.runbook.url}")
        if card.runbook.warning:
            lines.append(f"    {card.runbook.warning}")
    if card.actions:
        lines.append("  Suggested actions:")
        for view in card.actions:
            lines.extend(_action_lines(view))
    if card.status != "resolved":
        lines.append(
            f"  (opsbot incidents ack {card.id} · resolve {card.id} · snooze {card.id} MINUTES)"
        )
    return "\n".join(lines)


class ConsoleNotifier:
    """Implements `IncidentNotifier` by printing to a stream (stdout by default), above the
    console's prompt when one is shown."""

    def __init__(self, stream: TextIO | None = None, prompt: PromptLine = PROMPT) -> None:
        self.stream = stream
        self.prompt = prompt

    def _write(self, text: str) -> None:
        self.prompt.write(text, self.stream or sys.stdout)

    def incident_changed(self, card: IncidentCard) -> tuple[str, str] | None:
        self._write(render_card(card))
        return None

    def thread_note(self, card: IncidentCard, text: str, files: Sequence[NoteFile] = ()) -> None:
        body = with_names(text).strip().splitlines() or [""]
        lines = [f"  #{card.id} › {body[0]}", *(f"  #{card.id}   {line}" for line in body[1:])]
        lines.extend(f"  #{card.id}   📎 {_where(file)}" for file in files)
        self._write("\n".join(lines))


def _where(file: NoteFile) -> str:
    """A file of a note, in a terminal: where it is on disk, or how big the text is."""
    if file.path is not None:
        return f"{file.title}: {file.path}"
    lines = (file.content or "").count("\n")
    return f"{file.title}: {file.filename} ({lines:,} lines)"
