"""Alertmanager webhook (version 4) payloads, as incidents.

One incident per Alertmanager group (receiver + groupKey), because that is how the operator
told Alertmanager to group them: a group of ten disk alerts is one incident with ten members,
not ten posts. Alertmanager re-sends the whole group on every `repeat_interval`; an identical
re-send is a duplicate (same event hash) and only moves `last_seen`. The payload is fully
validated before anything is written, so a malformed body changes nothing.

The state of every alert of the group (status and a hash of it) is kept in `incident_alert`,
however big the group (up to the 10,000 alerts one webhook may carry), so a webhook is
compared with the whole group; the incident row shows at most MAX_MEMBERS of them. A change
(alerts that started or stopped firing) is one timeline event and one thread note with the
counts, e.g. "3 new firing, 1 resolved; 10,000 firing in total.", naming a few of them.
The title and the firing/resolved fields are recounted from those states on every change
(and on the webhook that resolves the group), so the card follows the group as it grows and
shrinks; with `truncatedAlerts` the title counts the alerts sent and those left out. An alert
missing from a complete (untruncated) webhook has left the group: it counts as resolved.

An alert another open incident already owns (the Prometheus monitor saw it first:
`bot.incidents.identity`) is not a member here; the group is a sighting on that incident,
and a group whose firing alerts are all owned elsewhere opens nothing ("sighted").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from bot.incidents import identity
from bot.incidents.engine import IncidentEngine
from bot.incidents.group_view import (
    alertname_of,
    base_title,
    change_text,
    group_fields,
    group_title,
)
from bot.incidents.identity import Claim, alert_identity
from bot.incidents.redaction import redact_labels
from bot.incidents.spec import IncidentSpec, Merged, TimelineEvent
from bot.incidents.tables import Incident, IncidentAlert
from core.errors import Invalid
from core.incidents import (
    CRITICAL,
    INFO,
    SEVERITY_ORDER,
    WARNING,
    digest,
    fingerprint,
    normalise_severity,
)
from tools.infra.promql import expr_from_generator_url
from tools.redact import redact

MAX_MEMBERS = 200  # alerts shown on the incident (all are compared: IncidentAlert)


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
    fingerprint: str = Field("", max_length=64)

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
        "labels": redact_labels(alert.labels),
        "summary": redact(alert.annotations.get("summary", "")),
        "startsAt": alert.startsAt,
        "endsAt": alert.endsAt,
        "hash": digest(alert.model_dump()),
    }


def _spec(payload: AmPayload, firing: list[AmAlert]) -> IncidentSpec:
    first = firing[0] if firing else payload.alerts[0]
    alertname = alertname_of(payload, first)
    severity = INFO
    for alert in firing:
        if SEVERITY_ORDER[alert.severity] > SEVERITY_ORDER[severity]:
            severity = alert.severity
    if not firing:
        severity = WARNING
    sent = len(payload.alerts)
    title = group_title(base_title(payload, firing), sent, payload.truncatedAlerts, sent)
    summary = payload.commonAnnotations.get("description") or first.annotations.get(
        "description", ""
    )
    fields = group_fields(payload, firing, len(firing), len(payload.alerts) - len(firing))
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
    expr = expr_from_generator_url(first.generatorURL)  # the rule's PromQL, for triage
    if expr:
        details["expr"] = expr
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
        alerts=[dict(a.labels) for a in firing],
    )


def _states(db: Session, incident_id: int) -> dict[str, tuple[str, str]]:
    rows = db.execute(
        select(IncidentAlert.key, IncidentAlert.status, IncidentAlert.hash).where(
            IncidentAlert.incident_id == incident_id
        )
    ).all()
    return {key: (status, digest_) for key, status, digest_ in rows}


def _shown(before: dict[str, Any], changed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The members shown on the incident: the changed ones over the previous ones, firing
    first, at most MAX_MEMBERS."""
    merged = {**before, **changed}
    if len(merged) <= MAX_MEMBERS:
        return merged
    ordered = sorted(merged.items(), key=lambda kv: (kv[1]["status"] != "firing", kv[0]))
    return dict(ordered[:MAX_MEMBERS])


class GroupMerge:
    """Folds one webhook's alerts into the group's incident (the engine's `Merge`): stores
    every alert's state in `incident_alert`, shows at most MAX_MEMBERS on the row, recounts
    the title and fields, and says which alerts started or stopped firing as one
    `alerts_changed` event. Alerts owned by another open incident are left out."""

    def __init__(
        self,
        payload: AmPayload,
        members: dict[str, dict[str, Any]],
        identities: dict[str, str],
        claim: Claim | None = None,
    ) -> None:
        self.payload = payload
        self.members = members
        self.identities = identities  # member key -> alert identity
        self.claim = claim  # its `owners`, once the engine looked them up

    def __call__(self, db: Session, row: Incident, first: bool) -> Merged:
        assert row.id is not None
        if first:  # new or reopened: what was stored before (if anything) is history
            db.execute(delete(IncidentAlert).where(col(IncidentAlert.incident_id) == row.id))
        looked_up = self.claim.owners if self.claim is not None else None
        foreign = (
            looked_up
            if looked_up is not None
            else identity.owners(db, self.identities.values(), exclude=row.id)
        )
        own = {k: m for k, m in self.members.items() if self.identities[k] not in foreign}
        before_shown = {} if first else dict((row.details or {}).get("alerts") or {})
        stored = _states(db, row.id)
        new_firing: list[str] = []
        resolved: list[str] = []
        added: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        changed_members: dict[str, dict[str, Any]] = {}
        for key, member in own.items():
            before = stored.get(key)
            if before is not None and before[1] == member["hash"]:
                continue
            state = {"incident_id": row.id, "key": key}
            state.update(status=member["status"], hash=member["hash"])
            (added if before is None else updated).append(state)
            changed_members[key] = member
            stored[key] = (member["status"], member["hash"])
            was_firing = before is not None and before[0] == "firing"
            if member["status"] == "firing" and not was_firing:
                new_firing.append(key)
            elif member["status"] == "resolved" and was_firing:
                resolved.append(key)
        if not self.payload.truncatedAlerts:
            # a complete webhook lists the whole group: a firing alert missing from it has
            # left the group (Alertmanager without send_resolved just stops sending it)
            for key, (status, _hash) in list(stored.items()):
                if status == "firing" and key not in own:
                    updated.append({"incident_id": row.id, "key": key, "status": "resolved"})
                    updated[-1]["hash"] = ""  # so the same alert firing again is new
                    stored[key] = ("resolved", "")
                    resolved.append(key)
                    if key in before_shown:
                        changed_members[key] = {**before_shown[key], "status": "resolved"}
        if added:
            db.execute(insert(IncidentAlert), added)
        if updated:
            db.execute(update(IncidentAlert), updated)
        firing_total = sum(1 for status, _ in stored.values() if status == "firing")
        self._recount(row, own, firing_total, len(stored))
        row.details = {
            **(row.details or {}),
            "alerts": _shown(before_shown, changed_members),
            "alert_counts": {"firing": firing_total, "alerts": len(stored)},
        }
        if first:
            return Merged()
        # an alert started or stopped firing, or a new one came (new values alone do not count)
        significant = bool(added) or bool(new_firing) or bool(resolved)
        if not (new_firing or resolved):
            return Merged(significant)
        names = {**before_shown, **self.members}
        return Merged(
            significant, self._event(new_firing, resolved, firing_total, len(stored), names)
        )

    def _recount(
        self, row: Incident, own: dict[str, dict[str, Any]], firing_total: int, alerts: int
    ) -> None:
        """Title and fields from the group's stored states (redacted like every spec)."""
        firing = [a for a in self.payload.alerts if a.status == "firing" and a.key in own]
        truncated = self.payload.truncatedAlerts
        counted = len(own) if truncated else alerts
        title = group_title(base_title(self.payload, firing), counted, truncated, len(own))
        row.title = redact(title)[:500]
        fields = group_fields(self.payload, firing, firing_total, alerts - firing_total)
        row.fields = [[redact(part) for part in pair] for pair in fields]

    def _event(
        self,
        new_firing: list[str],
        resolved: list[str],
        firing_total: int,
        alerts: int,
        names: dict[str, dict[str, Any]],
    ) -> TimelineEvent:
        text = change_text(new_firing, resolved, firing_total, names, self.payload.commonLabels)
        data = {
            "new_firing": len(new_firing),
            "resolved": len(resolved),
            "firing": firing_total,
            "alerts": alerts,
        }
        return TimelineEvent("alerts_changed", text, actor="alertmanager", data=data, note=text)


def _label_text(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "no group labels"


def ingest(engine: IncidentEngine, payload: AmPayload) -> tuple[int | None, str]:
    """Apply one webhook: (incident id or None,
    opened|updated|reopened|duplicate|resolved|ignored|sighted).

    One call of the engine's public API per group change: `resolve_fingerprint` (with the
    final counts) when the group stopped firing, else `upsert` with the group's `GroupMerge`
    and the `Claim` of its firing alerts ("sighted": all of them already have an incident of
    their own, whose id is returned)."""
    firing = [a for a in payload.alerts if a.status == "firing"]
    members = {a.key: _member(a) for a in payload.alerts}
    identities = {a.key: alert_identity(a.labels) for a in payload.alerts}
    fingerprint_ = group_fingerprint(payload)
    if not firing or payload.status == "resolved":
        names = ", ".join(sorted({a.labels["alertname"] for a in payload.alerts}))
        incident_id = engine.resolve_fingerprint(
            fingerprint_,
            "alertmanager",
            f"Resolved by Alertmanager: {names} no longer firing",
            merge=GroupMerge(payload, members, identities),
        )
        return incident_id, "resolved" if incident_id is not None else "ignored"
    wanted = {identities[a.key] for a in firing}
    event_hash = digest(sorted((k, m["hash"]) for k, m in members.items()))
    claim = Claim(
        frozenset(wanted),
        "alertmanager",
        reporter=fingerprint_,
        sighting=f"Also reported by Alertmanager (group {_label_text(payload.groupLabels)}, "
        f"receiver {payload.receiver})",
        related=frozenset(identities.values()) - wanted,
    )
    merge = GroupMerge(payload, members, identities, claim)
    return engine.upsert(_spec(payload, firing), event_hash, merge, claim=claim)
