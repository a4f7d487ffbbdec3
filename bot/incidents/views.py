"""Build the `IncidentCard` the front ends render, from the database rows."""

from __future__ import annotations

from typing import Any

from bot.incidents.contract import IncidentCard, RunbookRef, SignalView
from bot.incidents.tables import Incident
from core.approvals import ApprovalView
from core.clock import as_utc, iso
from core.incidents import UNTRUSTED


def runbook_ref(data: dict[str, Any] | None) -> RunbookRef | None:
    if not data:
        return None
    return RunbookRef(
        title=str(data.get("title", "")),
        section=data.get("section"),
        source=str(data.get("source", "")),
        excerpt=str(data.get("excerpt", "")),
        warning=str(data.get("warning") or ""),
        url=str(data.get("url") or ""),
    )


def build_card(
    row: Incident, actions: list[ApprovalView], signals: tuple[SignalView, ...] = ()
) -> IncidentCard:
    assert row.id is not None
    return IncidentCard(
        id=row.id,
        title=row.title,
        status=row.status,
        severity=row.severity,
        kind=row.kind,
        summary=row.summary,
        fields=tuple((str(k), str(v)) for k, v in (row.fields or [])),
        runbook=runbook_ref(row.runbook),
        actions=tuple(actions),
        count=row.count,
        first_seen=as_utc(row.first_seen) if row.first_seen else None,
        last_seen=as_utc(row.last_seen) if row.last_seen else None,
        acknowledged_by=row.acknowledged_by,
        resolved_by=row.resolved_by,
        snoozed_until=as_utc(row.snoozed_until) if row.snoozed_until else None,
        message_channel=row.message_channel,
        message_ts=row.message_ts,
        labels={str(k): str(v) for k, v in (row.labels or {}).items()}
        | {"alertname": row.alertname},
        untrusted=str((row.details or {}).get(UNTRUSTED) or ""),
        signals=signals,
    )


def card_json(card: IncidentCard) -> dict[str, Any]:
    """The card as JSON (for `--json` output and the HTTP API)."""
    return {
        "id": card.id,
        "title": card.title,
        "status": card.status,
        "severity": card.severity,
        "kind": card.kind,
        "summary": card.summary,
        "fields": [list(pair) for pair in card.fields],
        "runbook": None
        if card.runbook is None
        else {
            "title": card.runbook.title,
            "section": card.runbook.section,
            "source": card.runbook.source,
            "warning": card.runbook.warning or None,
            "runbook_url": card.runbook.url or None,
        },
        "actions": [
            a.to_json() | {"result": a.result, "verification": a.verification} for a in card.actions
        ],
        "count": card.count,
        "first_seen": iso(card.first_seen),
        "last_seen": iso(card.last_seen),
        "acknowledged_by": card.acknowledged_by,
        "resolved_by": card.resolved_by,
        "snoozed_until": iso(card.snoozed_until),
        "signals": [
            {
                "alertname": s.alertname,
                "title": s.title,
                "severity": s.severity,
                "entity": s.entity or None,
                "first_seen": iso(s.first_seen),
                "firing": s.firing,
                "first": i == 0,
            }
            for i, s in enumerate(card.signals)
        ],
        "message": None
        if card.message_ts is None
        else {"channel": card.message_channel, "ts": card.message_ts},
        "labels": card.labels,
        "untrusted": card.untrusted or None,
    }


def row_summary(row: Incident) -> dict[str, Any]:
    """One incident as a list entry (CLI `--json` and the `list_incidents` tool)."""
    return {
        "id": row.id,
        "status": row.status,
        "severity": row.severity,
        "alertname": row.alertname,
        "title": row.title,
        "count": row.count,
        "first_seen": iso(row.first_seen),
        "last_seen": iso(row.last_seen),
        "message": (
            {"channel": row.message_channel, "ts": row.message_ts} if row.message_ts else None
        ),
    }
