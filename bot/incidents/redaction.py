"""Secrets out of incidents before they are stored: whatever an alert or a monitor says (title,
summary, figures, labels, details) is redacted at the door, so it is never stored, posted in
the incident channel or handed to triage verbatim."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tools.redact import MASK, redact, redact_data

if TYPE_CHECKING:  # engine.py calls redacted_spec
    from bot.incidents.spec import IncidentSpec


def redact_labels(labels: dict[str, str]) -> dict[str, str]:
    """Label values masked when they are secrets, judged with their key (password=...)."""
    out: dict[str, str] = {}
    for key, value in labels.items():
        pair = f"{key}={value}"
        out[key] = MASK if redact(pair) != pair else redact(value)
    return out


def redacted_spec(spec: IncidentSpec) -> IncidentSpec:
    """`spec` with every secret in its text masked (and long text cut with a marker)."""
    details: Any = redact_data(spec.details)
    return replace(
        spec,
        title=redact(spec.title),
        summary=redact(spec.summary),
        labels=redact_labels(spec.labels),
        fields=[[redact(str(part)) for part in pair] for pair in spec.fields],
        details=details,
    )
