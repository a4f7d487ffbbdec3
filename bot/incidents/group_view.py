"""What an Alertmanager group's incident says about its alerts: the title with the group's
count ("(4 alerts)", "(1,200 alerts, 200 shown)"), the firing / resolved / truncated fields,
and the one line of a change ("3 new firing, 1 resolved; 10,000 firing in total. Firing: ...").
Plain text from counts and labels; `bot.incidents.alertmanager` decides the counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # alertmanager.py imports this module
    from bot.incidents.alertmanager import AmAlert, AmPayload

NAMED = 5  # alerts named in a change's note, per kind
FIELD_ALERTS = 5  # firing alerts named in the fields


def distinct_labels(labels: dict[str, str], common: dict[str, str]) -> str:
    """An alert by what sets it apart in its group ("mountpoint=/data")."""
    parts = [
        f"{k}={v}"
        for k, v in sorted(labels.items())
        if k not in ("alertname", "severity") and common.get(k) != v
    ]
    return " ".join(parts) or labels.get("alertname", "alert")


def alertname_of(payload: AmPayload, first: AmAlert) -> str:
    return (
        payload.commonLabels.get("alertname")
        or payload.groupLabels.get("alertname")
        or first.labels["alertname"]
    )


def base_title(payload: AmPayload, firing: list[AmAlert]) -> str:
    """The group's title without its count."""
    first = firing[0] if firing else payload.alerts[0]
    title = payload.commonAnnotations.get("summary") or first.annotations.get("summary")
    return title or f"{alertname_of(payload, first)} firing"


def group_title(base: str, alerts: int, truncated: int, sent: int) -> str:
    """ "Disk full (4 alerts)"; with truncation "Disk full (1,200 alerts, 200 shown)"."""
    total = alerts + truncated
    if truncated:
        return f"{base} ({total:,} alerts, {sent:,} shown)"
    return f"{base} ({total:,} alerts)" if total > 1 else base


def group_fields(
    payload: AmPayload, firing: list[AmAlert], firing_total: int, resolved_total: int
) -> list[list[str]]:
    """The card's figures: how many alerts fire and have resolved, a few of the firing
    ones, and how many Alertmanager left out of the webhook."""
    fields: list[list[str]] = [["firing", f"{firing_total:,}"]]
    if resolved_total:
        fields.append(["resolved", f"{resolved_total:,}"])
    for alert in firing[:FIELD_ALERTS]:
        name = distinct_labels(alert.labels, payload.commonLabels)
        fields.append([name, f"since {alert.startsAt}"])
    if payload.truncatedAlerts:
        fields.append(["truncated", f"{payload.truncatedAlerts:,} more alerts not sent"])
    return fields


def _names(keys: list[str], members: dict[str, dict[str, Any]], common: dict[str, str]) -> str:
    shown = [
        distinct_labels(members[k]["labels"], common)
        if k in members
        else k  # left the group and no longer shown: its key is all there is
        for k in keys[:NAMED]
    ]
    more = len(keys) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")


def change_text(
    new_firing: list[str],
    resolved: list[str],
    firing_total: int,
    members: dict[str, dict[str, Any]],
    common: dict[str, str],
) -> str:
    """One line for one change of a group: counts first, then a few names of each kind."""
    counts = []
    if new_firing:
        counts.append(f"{len(new_firing):,} new firing")
    if resolved:
        counts.append(f"{len(resolved):,} resolved")
    parts = [f"{', '.join(counts)}; {firing_total:,} firing in total"]
    if new_firing:
        parts.append(f"Firing: {_names(new_firing, members, common)}")
    if resolved:
        parts.append(f"Resolved: {_names(resolved, members, common)}")
    return ". ".join(parts)
