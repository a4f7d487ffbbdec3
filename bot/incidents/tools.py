"""The agent's read-only incident tools: `list_incidents(status)` and `show_incident(id)`,
one small class each; `build_incident_tools` only assembles them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.incidents.action_notes import describe_action
from bot.incidents.spec import IncidentError
from bot.incidents.views import card_json, row_summary
from core.access import Caller
from core.clock import iso
from core.people import with_names
from tools.base import OpsTool, ToolError, ToolResult
from tools.format import text_table


class ListArgs(BaseModel):
    status: Literal["open", "unacknowledged", "acknowledged", "resolved", "all"] = Field(
        "open", description="open (not yet resolved, acknowledged included), resolved, all..."
    )
    limit: int = Field(20, ge=1, le=200, description="How many, newest first")


class ShowArgs(BaseModel):
    id: int = Field(..., ge=1, description="Incident number, e.g. 3")


def timeline_lines(events: list[Any]) -> list[str]:
    """An incident's timeline events, one line each: "- <when> <who>: <first line>"."""
    return [f"- {iso(e.at)} {e.actor}: {with_names(e.text.splitlines()[0])}" for e in events]


@dataclass(frozen=True)
class ListIncidents:
    """Incidents by status, newest first, as a table."""

    service: Any  # the IncidentService (or the demo's)

    def run(self, args: ListArgs, _: Caller) -> ToolResult:
        try:
            rows = self.service.engine.list(args.status, args.limit)
        except IncidentError as exc:
            raise ToolError(str(exc)) from None
        if not rows:
            word = "" if args.status == "all" else f"{args.status} "
            return ToolResult(text=f"No {word}incidents.", data=[])
        table = text_table(
            ["#", "status", "severity", "alert", "seen", "last seen", "title"],
            [
                [r.id, r.status, r.severity, r.alertname, f"{r.count}×", iso(r.last_seen),
                 r.title[:60]]
                for r in rows
            ],
        )  # fmt: skip
        data = [row_summary(r) for r in rows]
        return ToolResult(text=f"{len(rows)} {args.status} incident(s):\n{table}", data=data)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="list_incidents",
            description=(
                "List incidents opened by opsbot's monitors and Alertmanager: status, "
                "severity, alert, how often seen. status=open means not yet resolved."
            ),
            args=ListArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class ShowIncident:
    """One incident in full: card, suggested actions and the last 30 timeline events."""

    service: Any

    def run(self, args: ShowArgs, _: Caller) -> ToolResult:
        try:
            card = self.service.card(args.id)
        except IncidentError as exc:
            raise ToolError(str(exc)) from None
        lines = [
            f"Incident #{card.id} [{card.status}, {card.severity}] {card.title}",
            f"Alert {card.labels.get('alertname')} ({card.kind}), seen {card.count}× from "
            f"{iso(card.first_seen)} to {iso(card.last_seen)}",
        ]
        if card.alert_warning:
            lines.append(card.alert_warning)
        if card.acknowledged_by:
            lines.append(f"Acknowledged by {card.acknowledged_by}")
        if card.resolved_by and card.status == "resolved":
            lines.append(f"Resolved by {card.resolved_by}")
        if card.snoozed_until:
            lines.append(f"Snoozed until {iso(card.snoozed_until)}")
        if card.fields:
            lines.append("Figures: " + "; ".join(f"{k}: {v}" for k, v in card.fields))
        if card.summary:
            lines.append(card.summary)
        if card.runbook:
            section = f" › {card.runbook.section}" if card.runbook.section else ""
            lines.append(f"Runbook: {card.runbook.title}{section} ({card.runbook.source})")
            if card.runbook.url and card.runbook.url != card.runbook.source:
                lines.append(f"Alert's runbook: {card.runbook.url}")
            if card.runbook.warning:
                lines.append(card.runbook.warning)
        for view in card.actions:
            lines.append(
                f"Action {view.id}: {describe_action(view)} — {view.status}, risk {view.risk}"
                + (f" ({view.verification})" if view.verification else "")
            )
        events = self.service.engine.timeline(args.id, limit=30)
        if events:
            lines.append("Timeline:")
            lines.extend(timeline_lines(events))
        data = card_json(card) | {
            "timeline": [
                {"at": iso(e.at), "kind": e.kind, "actor": e.actor, "text": e.text} for e in events
            ]
        }
        return ToolResult(text="\n".join(lines), data=data)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="show_incident",
            description=(
                "One incident in full: figures, triage summary, runbook, suggested actions "
                "and their approval state, and the timeline."
            ),
            args=ShowArgs,
            run=self.run,
        )


def build_incident_tools(service: Any) -> list[OpsTool]:
    return [ListIncidents(service).tool(), ShowIncident(service).tool()]
