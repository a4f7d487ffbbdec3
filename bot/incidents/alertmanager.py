"""Alertmanager webhook (version 4) payloads, as incidents.

One incident per Alertmanager group (receiver + groupKey), because that is how the operator
told Alertmanager to group them: a group of ten disk alerts is one incident with ten members,
not ten posts. Alertmanager re-sends the whole group on every `repeat_interval`; an identical
re-send is a duplicate (same event hash) and only moves `last_seen`. The payload is fully
validated before anything is written, so a malformed body changes nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session

from bot.incidents.engine import IncidentEngine, IncidentSpec
from bot.incidents.model import (
    CRITICAL,
    INFO,
    SEVERITY_ORDER,
    WARNING,
    digest,
    fingerprint,
    normalise_severity,
)
from bot.incidents.tables import Incident
from core.errors import Invalid

MAX_MEMBERS = 200


class PayloadError(Invalid, ValueError):
    """The body is not a valid Alertmanager webhook; `problems` says where and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class AmAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str = ""  # Alertmanager's field names
    endsAt: str = ""
    generatorURL: str = ""
    fingerprint: str = ""

    @field_validator("labels")
    @classmethod
    def _alertname(cls, value: dict[str, str]) -> dict[str, str]:
        if not value.get("alertname", "").strip():
            raise ValueError("labels.alertname is missing (every Alertmanager alert has one)")
        return value

    @property
    def key(self) -> str:
        return self.fingerprint or digest(self.labels)[:16]

    @property
    def severity(self) -> str:
        return normalise_severity(self.labels.get("severity"))


class AmPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: str
    groupKey: str = Field(..., min_length=1, max_length=2000)
    truncatedAlerts: int = Field(0, ge=0)
    status: Literal["firing", "resolved"]
    receiver: str = Field(..., max_length=500)
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[AmAlert] = Field(..., min_length=1, max_length=10_000)

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value != "4":
            raise ValueError(f"only webhook version 4 is supported, got {value!r}")
        return value


def parse_payload(data: Any) -> AmPayload:
    if not isinstance(data, dict):
        raise PayloadError([f"the body must be a JSON object, got {type(data).__name__}"])
    try:
        return AmPayload.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:20]:
            where = ".".join(str(p) for p in err.get("loc", ())) or "body"
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        raise PayloadError(problems) from None


def group_fingerprint(payload: AmPayload) -> str:
    return fingerprint(
        "alertmanager", "group", {"receiver": payload.receiver, "group": payload.groupKey}
    )


def _member(alert: AmAlert) -> dict[str, Any]:
    return {
        "status": alert.status,
        "labels": alert.labels,
        "summary": alert.annotations.get("summary", ""),
        "startsAt": alert.startsAt,
        "endsAt": alert.endsAt,
        "hash": digest(alert.model_dump()),
    }


def _distinct_labels(alert: AmAlert, common: dict[str, str]) -> str:
    parts = [
        f"{k}={v}"
        for k, v in sorted(alert.labels.items())
        if k not in ("alertname", "severity") and common.get(k) != v
    ]
    return " ".join(parts) or alert.labels.get("alertname", "alert")


def _spec(payload: AmPayload, firing: list[AmAlert]) -> IncidentSpec:
    first = firing[0] if firing else payload.alerts[0]
    alertname = (
        payload.commonLabels.get("alertname")
        or payload.groupLabels.get("alertname")
        or first.labels["alertname"]
    )
    severity = INFO
    for alert in firing:
        if SEVERITY_ORDER[alert.severity] > SEVERITY_ORDER[severity]:
            severity = alert.severity
    if not firing:
        severity = WARNING
    title = payload.commonAnnotations.get("summary") or first.annotations.get("summary")
    title = title or f"{alertname} firing"
    if len(firing) > 1:
        title += f" ({len(firing)} alerts)"
    summary = payload.commonAnnotations.get("description") or first.annotations.get(
        "description", ""
    )
    fields: list[list[str]] = [["firing", str(len(firing))]]
    resolved = len(payload.alerts) - len(firing)
    if resolved:
        fields.append(["resolved", str(resolved)])
    for alert in firing[:5]:
        fields.append([_distinct_labels(alert, payload.commonLabels), f"since {alert.startsAt}"])
    if payload.truncatedAlerts:
        fields.append(["truncated", f"{payload.truncatedAlerts} more alerts not sent"])
    runbook_url = payload.commonAnnotations.get("runbook_url") or first.annotations.get(
        "runbook_url"
    )
    details: dict[str, Any] = {
        "group_key": payload.groupKey,
        "receiver": payload.receiver,
        "external_url": payload.externalURL,
    }
    if runbook_url:
        details["runbook_url"] = runbook_url
    labels = dict(payload.commonLabels) or dict(first.labels)
    labels.pop("severity", None)
    return IncidentSpec(
        fingerprint=group_fingerprint(payload),
        source="alertmanager",
        kind="alertmanager",
        alertname=alertname,
        title=title,
        severity=severity if severity in (INFO, WARNING, CRITICAL) else WARNING,
        labels=labels,
        summary=summary,
        fields=fields,
        details=details,
    )


def ingest(engine: IncidentEngine, payload: AmPayload) -> tuple[int | None, str]:
    """Apply one webhook: (incident id or None, opened|updated|reopened|duplicate|resolved|ignored)."""
    firing = [a for a in payload.alerts if a.status == "firing"]
    members = {a.key: _member(a) for a in payload.alerts}
    if not firing or payload.status == "resolved":
        names = ", ".join(sorted({a.labels["alertname"] for a in payload.alerts}))
        incident_id = engine.resolve_fingerprint(
            group_fingerprint(payload),
            "alertmanager",
            f"Resolved by Alertmanager: {names} no longer firing",
        )
        return incident_id, "resolved" if incident_id is not None else "ignored"

    def merge(db: Session, row: Incident, first: bool) -> bool:
        stored: dict[str, Any] = dict((row.details or {}).get("alerts") or {})
        changed = False  # an alert started or stopped firing (new values alone do not count)
        for key, member in members.items():
            before = stored.get(key)
            if before is not None and before.get("hash") == member["hash"]:
                continue
            stored[key] = member
            if before is None or before.get("status") != member["status"]:
                changed = True
            if first:
                continue
            what = _distinct_labels(
                AmAlert.model_validate({"status": member["status"], "labels": member["labels"]}),
                payload.commonLabels,
            )
            if member["status"] == "firing" and (
                before is None or before.get("status") != "firing"
            ):
                text = f"Alert firing: {what}"
                engine._event(db, row, "alert_firing", text, actor="alertmanager", note=text)
            elif (
                member["status"] == "resolved"
                and before is not None
                and before.get("status") == "firing"
            ):
                text = f"Alert resolved: {what}"
                engine._event(db, row, "alert_resolved", text, actor="alertmanager", note=text)
        if len(stored) > MAX_MEMBERS:  # keep the firing ones and the most recent others
            ordered = sorted(stored.items(), key=lambda kv: (kv[1]["status"] != "firing", kv[0]))
            stored = dict(ordered[:MAX_MEMBERS])
        row.details = {**(row.details or {}), "alerts": stored}
        return changed and not first

    event_hash = digest(sorted((k, m["hash"]) for k, m in members.items()))
    return engine.upsert(_spec(payload, firing), event_hash, merge)
