"""Alertmanager webhook v4 payloads, shaped exactly as Alertmanager sends them."""

from __future__ import annotations

import copy
from typing import Any

import httpx

TOKEN = "am-token-0123456789"  # ALERTMANAGER_TOKEN of the webhook tests (`served`)

ALERT: dict[str, Any] = {
    "status": "firing",
    "labels": {
        "alertname": "HostDiskFull",
        "instance": "web-1:9100",
        "mountpoint": "/var",
        "severity": "warning",
        "job": "node",
    },
    "annotations": {
        "summary": "Disk /var on web-1 is 93% full",
        "description": "Filesystem /var on web-1 has 7% space left.",
        "runbook_url": "https://runbooks.example.com/host-disk-full",
    },
    "startsAt": "2026-11-26T09:00:00.000Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus:9090/graph?g0.expr=...",
    "fingerprint": "c0ffee0000000001",
}


def payload(
    *alerts: dict[str, Any], status: str | None = None, group: str = "HostDiskFull"
) -> dict[str, Any]:
    items = [copy.deepcopy(a) for a in (alerts or (ALERT,))]
    firing = any(a["status"] == "firing" for a in items)
    common = dict(items[0]["labels"])
    for alert in items[1:]:
        common = {k: v for k, v in common.items() if alert["labels"].get(k) == v}
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
        "status": status or ("firing" if firing else "resolved"),
        "receiver": "opsbot",
        "groupLabels": {"alertname": group},
        "commonLabels": common,
        "commonAnnotations": dict(items[0]["annotations"]) if len(items) == 1 else {},
        "externalURL": "http://alertmanager:9093",
        "alerts": items,
    }


def alert(**changes: Any) -> dict[str, Any]:
    item = copy.deepcopy(ALERT)
    labels = changes.pop("labels", {})
    item["labels"].update(labels)
    item.update(changes)
    return item


def fire(service: Any, labels: dict[str, str], summary: str, fingerprint: str) -> int:
    """Ingest one alert firing from now, in a group of its own alert name, into the incident
    service; the id of the incident it opened."""
    from bot.incidents.alertmanager import parse_payload
    from core.clock import iso, utcnow

    item = alert(labels=labels, annotations={"summary": summary}, startsAt=iso(utcnow()),
                 fingerprint=fingerprint)  # fmt: skip
    incident_id, change = service.ingest_alertmanager(
        parse_payload(payload(item, group=labels["alertname"]))
    )
    assert change == "opened" and incident_id is not None, change
    return int(incident_id)


def post(url: str, body: Any, token: str = TOKEN, timeout: float = 10) -> httpx.Response:
    """POST a webhook body (JSON, or bytes/str as they are) with the bearer token."""
    headers = {"Authorization": f"Bearer {token}"}
    if isinstance(body, bytes | str):
        return httpx.post(url, content=body, headers=headers, timeout=timeout)
    return httpx.post(url, json=body, headers=headers, timeout=timeout)
