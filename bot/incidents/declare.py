"""Declaring an incident by hand (`/ops declare`): a manual finding, by whom, opened through
the incident engine like any other, so it is posted, triaged, escalated and on the timeline."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from core.clock import iso, utcnow
from core.errors import Invalid
from core.incidents import CRITICAL, INFO, WARNING, Finding

if TYPE_CHECKING:
    from bot.incidents.engine import IncidentEngine

SEVERITIES = (CRITICAL, WARNING, INFO)
MAX_TITLE = 150
MAX_DESCRIPTION = 2000


def declared(title: str, severity: str, description: str, user: str) -> Finding:
    """The finding of a declaration; raises Invalid naming the bad field."""
    title = title.strip()
    if not title:
        raise Invalid("say what is wrong in the title")
    if len(title) > MAX_TITLE:
        raise Invalid(f"the title has at most {MAX_TITLE} characters")
    if severity not in SEVERITIES:
        raise Invalid(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"the description has at most {MAX_DESCRIPTION} characters")
    return Finding(
        monitor="manual",
        alertname="DeclaredIncident",
        title=title,
        severity=severity,
        kind="manual",
        labels={"declared_by": user, "declared_at": str(iso(utcnow()))},  # each its own
        summary=description.strip(),
        fields=[("Declared by", user)],
        source="manual",
        details={"declared_by": user},
    )


def declare(engine: IncidentEngine, title: str, severity: str, description: str, user: str) -> int:
    """Open the incident; its id. Raises Invalid for a bad field or when a maintenance
    window holds it back."""
    incident_id, change = engine.observe(
        declared(title, severity, description, user), uuid.uuid4().hex
    )
    if incident_id is None:
        raise Invalid(f"nothing was opened ({change}: a maintenance window holds it back)")
    return incident_id
