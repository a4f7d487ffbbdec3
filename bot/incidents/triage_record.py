"""An incident row as the triage graph's input (and whether it is about this host), and the
triage result as the incident's `triaged` event (its text and the change to the row)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.incidents.tables import Incident
from core.clock import as_utc, iso, utcnow
from tools.infra.this_host import is_this_host

if TYPE_CHECKING:  # graphs is loaded only when triage runs
    from graphs.triage_types import IncidentInput


def is_local(row: Incident, local_host: str) -> bool:
    """Whether the incident is about this host (monitor findings, or an alert naming it), so
    local tools are evidence."""
    if row.source == "monitor":
        return True
    labels = {str(k): str(v) for k, v in (row.labels or {}).items()}
    return is_this_host(labels, extra=(local_host,))


def triage_input(row: Incident, local: bool) -> IncidentInput:
    from graphs.triage_types import IncidentInput

    assert row.id is not None
    return IncidentInput(
        id=row.id,
        title=row.title,
        alertname=row.alertname,
        kind=row.kind,
        severity=row.severity,
        labels={str(k): str(v) for k, v in (row.labels or {}).items()},
        summary=row.summary,
        fields=[list(map(str, pair)) for pair in (row.fields or [])],
        details={**(row.details or {}), "reopen_count": row.reopen_count},
        local=local,
        started_at=as_utc(row.first_seen),
    )


def triaged(result: Any) -> tuple[str, Callable[[Incident], None]]:
    """The `triaged` event's text and the update that stores the result on the row."""
    now = iso(utcnow())

    def apply(target: Incident) -> None:
        target.summary = result.summary
        target.runbook = result.runbook
        target.triage_status = "done"
        target.details = {
            **(target.details or {}),
            "triage": {
                "writer": result.writer,
                "error": result.error,
                "dropped": result.dropped,
                "at": now,
            },
        }

    suggested = len(result.actions)
    text = (
        f"Triaged ({'model' if result.writer == 'model' else 'offline'} summary): "
        f"{len(result.evidence)} evidence item(s), "
        f"{'runbook ' + str(result.runbook.get('title')) if result.runbook else 'no runbook'}, "
        f"{suggested} suggested action(s)"
    )
    if result.error:
        text += f"; the model could not write the summary ({result.error})"
    return text, apply
