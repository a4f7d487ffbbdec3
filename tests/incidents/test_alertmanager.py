"""`POST /alerts/alertmanager` over real HTTP on 127.0.0.1: firing opens one incident per
Alertmanager group, re-sends are duplicates, resolved resolves, malformed bodies get 400
with the reason and change nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bot.http.alertmanager import alertmanager_routes
from bot.http.app import create_app
from bot.http.server import HttpServer
from tests.incidents.alerts import ALERT, TOKEN, alert, payload, post


def test_firing_then_resend_then_new_member_then_resolved(served) -> None:  # type: ignore[no-untyped-def]
    runtime, url = served
    first = post(url, payload())
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "ok", "incident": 1, "change": "opened"}
    row = runtime.incidents.engine.get(1)
    assert (row.kind, row.alertname, row.severity) == ("alertmanager", "HostDiskFull", "warning")
    assert row.title == "Disk /var on web-1 is 93% full"
    assert row.details["runbook_url"] == "https://runbooks.example.com/host-disk-full"

    # Alertmanager re-sends the same group every repeat_interval: a duplicate
    assert post(url, payload()).json()["change"] == "duplicate"
    assert runtime.incidents.engine.get(1).count == 1

    # a second disk joins the group, critical: same incident, severity up, a note
    other = alert(labels={"mountpoint": "/data", "severity": "critical"}, fingerprint="c0ffee02")
    assert post(url, payload(alert(), other)).json() == {
        "status": "ok",
        "incident": 1,
        "change": "updated",
    }
    row = runtime.incidents.engine.get(1)
    assert row.severity == "critical" and row.count == 2
    assert set(row.details["alerts"]) == {"c0ffee0000000001", "c0ffee02"}
    notes = [e.note for e in runtime.incidents.engine.timeline(1) if e.note]
    assert "1 new firing; 2 firing in total. Firing: mountpoint=/data" in notes
    assert "Severity warning → critical (up)" in notes

    # everything resolved: the incident resolves
    done = payload(alert(status="resolved"), dict(other, status="resolved"))
    assert post(url, done).json() == {"status": "ok", "incident": 1, "change": "resolved"}
    row = runtime.incidents.engine.get(1)
    assert row.status == "resolved" and row.resolved_by == "alertmanager"
    # a late resolved re-send changes nothing
    assert post(url, done).json() == {"status": "ok", "incident": None, "change": "ignored"}


def _big_group(size: int, firing: set[int] | None = None) -> dict[str, Any]:
    """One group of `size` disk alerts (all firing unless `firing` says which are)."""
    items = [
        alert(
            labels={"instance": f"node-{i}:9100", "mountpoint": "/var"},
            fingerprint=f"f{i:015x}",
            status="firing" if firing is None or i in firing else "resolved",
        )
        for i in range(size)
    ]
    return payload(*items)


def test_one_change_in_a_10000_alert_group_is_one_event_and_one_post(served) -> None:  # type: ignore[no-untyped-def]
    runtime, url = served
    engine = runtime.incidents.engine
    size = 9_997  # and 3 more: 10,000, the most one webhook may carry
    opened = post(url, timeout=120, body=_big_group(size))
    assert opened.json()["change"] == "opened", opened.text
    assert post(url, timeout=120, body=_big_group(size)).json()["change"] == "duplicate"
    before = len(engine.timeline(1, limit=100_000))
    # three alerts join, one stops firing: one change of the group
    now_firing = set(range(size + 3)) - {7}
    changed = post(url, timeout=120, body=_big_group(size + 3, firing=now_firing))
    assert changed.json() == {"status": "ok", "incident": 1, "change": "updated"}
    events = engine.timeline(1, limit=100_000)[before:]
    assert len(events) == 1, [e.text for e in events[:5]]
    (event,) = events
    assert event.kind == "alerts_changed" and event.note == event.text
    assert event.text.startswith("3 new firing, 1 resolved; 9,999 firing in total.")
    assert "Firing: instance=node-9997:9100" in event.text
    assert "Resolved: instance=node-7:9100" in event.text
    assert event.data == {"new_firing": 3, "resolved": 1, "firing": 9_999, "alerts": 10_000}
    row = engine.get(1)
    assert row.details["alert_counts"] == {"firing": 9_999, "alerts": 10_000}
    assert len(row.details["alerts"]) <= 200  # the members shown; the states are all kept
    # the same group again, and a re-send of the earlier one: no bogus events for the others
    assert (
        post(url, timeout=120, body=_big_group(size + 3, firing=now_firing)).json()["change"]
        == "duplicate"
    )
    assert len(engine.timeline(1, limit=100_000)) == before + 1


def test_groups_are_separate_incidents(served) -> None:  # type: ignore[no-untyped-def]
    runtime, url = served
    cpu = alert(labels={"alertname": "HostHighCpu"}, fingerprint="beef01")
    assert post(url, payload()).json()["incident"] == 1
    assert post(url, payload(cpu, group="HostHighCpu")).json()["incident"] == 2
    assert [r.alertname for r in runtime.incidents.engine.list("open")] == [
        "HostHighCpu",
        "HostDiskFull",
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        ([1, 2], "must be a JSON object"),
        ({**payload(), "version": "3"}, "only webhook version 4 is supported"),
        ({**payload(), "alerts": []}, "alerts: List should have at least 1 item"),
        (payload(alert(status="burning")), "alerts.0.status"),
        (payload(alert(labels={"alertname": ""})), "labels.alertname is missing"),
        ({k: v for k, v in payload().items() if k != "groupKey"}, "groupKey: Field required"),
        (payload(alert(labels={"severity": 3})), "alerts.0.labels.severity"),
    ],
)
def test_malformed_bodies_get_400_and_change_nothing(served, body, problem) -> None:  # type: ignore[no-untyped-def]
    runtime, url = served
    # a valid alert in the same body must not be applied either
    response = post(url, body)
    assert response.status_code == 400
    text = response.text
    assert problem in text, text
    assert runtime.incidents.engine.list("all") == []


def _with_annotation(text: str) -> bytes:
    """A valid payload whose summary annotation is `text`, as JSON with \\u escapes."""
    body = payload(alert(annotations={**alert()["annotations"], "summary": text}))
    return json.dumps(body).encode()  # ensure_ascii: "\\u0000", "\\ud800"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"version": "4", "receiver": "caf\xe9"}', "not valid UTF-8 (byte 33)"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32 levels"),
        (b'{"version": "4", "x": ' + b"[" * 200 + b"]" * 200 + b"}", "x.0.0"),
        (_with_annotation("disk \x00 full"), "alerts.0.annotations.summary: contains a NUL"),
        (_with_annotation("disk \ud800 full"), "alerts.0.annotations.summary: contains a lone"),
        (
            json.dumps(payload(alert(labels={"mount\x00point": "/var"}))).encode(),
            "contains a NUL character",
        ),
    ],
    ids=["not-utf8", "deep", "deep-in-ignored-field", "nul", "lone-surrogate", "nul-in-key"],
)
def test_undecodable_bodies_get_400_with_the_reason_and_store_nothing(
    served, body, problem
) -> None:  # type: ignore[no-untyped-def]
    runtime, url = served
    response = post(url, body)
    assert response.status_code == 400, response.text
    assert problem in response.json()["error"], response.text
    assert runtime.incidents.engine.list("all") == []
    assert post(url, payload()).status_code == 200  # and the intake still works


def test_token_is_required_and_checked(served, make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime, url = served
    assert post(url, payload(), token="wrong").status_code == 401
    missing = httpx.post(url, json=payload(), timeout=10)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert runtime.incidents.engine.list("all") == []


def test_intake_is_off_without_a_token(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    server = HttpServer(
        create_app(runtime.http_deps(), alertmanager_routes(runtime.http_deps())), "127.0.0.1", 0
    )
    port = server.start()
    try:
        response = httpx.post(f"http://127.0.0.1:{port}/alerts/alertmanager", json=payload())
        assert response.status_code == 404
        assert "set ALERTMANAGER_TOKEN" in response.json()["error"]
    finally:
        server.stop()


def test_firing_alert_gets_its_runbook_and_resolves(make_runtime) -> None:  # type: ignore[no-untyped-def]
    """Kept last: it needs the runbook index (ingest of the shipped runbooks)."""
    runtime = make_runtime(alertmanager_token=TOKEN)
    runtime.ingest_runbooks()
    server = HttpServer(
        create_app(runtime.http_deps(), alertmanager_routes(runtime.http_deps())), "127.0.0.1", 0
    )
    url = f"http://127.0.0.1:{server.start()}/alerts/alertmanager"
    try:
        assert post(url, payload()).json()["change"] == "opened"
        assert runtime.incidents.drain(120)  # triage runs in the background
        row = runtime.incidents.engine.get(1)
        assert row.triage_status == "done"
        # the alert's runbook_url (.../host-disk-full) names the shipped runbook: cited, URL kept
        assert row.runbook["source"] == "runbooks/host-disk-full.md"
        assert row.runbook["section"] == "Mitigation" and row.runbook["match"] == "url"
        assert row.runbook["url"] == "https://runbooks.example.com/host-disk-full"
        assert "clean_directory" in row.runbook["excerpt"]
        card = runtime.incidents.card(1)
        assert card.runbook is not None and card.runbook.title == "Disk full or filling up"
        assert "*Runbook:* Disk full or filling up › Mitigation" in card.summary
        # web-1 is not this host: no local evidence, no local actions suggested
        assert card.actions == ()
        resolved = post(url, payload(alert(status="resolved")))
        assert resolved.json() == {"status": "ok", "incident": 1, "change": "resolved"}
    finally:
        server.stop()


def test_a_reopened_group_shows_the_alerts_of_the_webhook_that_reopened_it(served) -> None:  # type: ignore[no-untyped-def]
    runtime, url = served
    first = alert(fingerprint="c0ffee01")
    assert post(url, payload(first)).json()["change"] == "opened"
    assert post(url, payload(dict(first, status="resolved"))).json()["change"] == "resolved"
    # the group fires again, now with a second disk: the incident reopens with both
    other = alert(labels={"mountpoint": "/data"}, fingerprint="c0ffee02")
    assert post(url, payload(first, other)).json()["change"] == "reopened"
    row = runtime.incidents.engine.get(1)
    assert row.status == "open"
    assert set(row.details["alerts"]) == {"c0ffee01", "c0ffee02"}
    assert row.details["alert_counts"] == {"firing": 2, "alerts": 2}


WATCHDOG = alert(
    labels={"alertname": "Watchdog", "severity": "none"},
    annotations={"summary": "An alert that should always be firing."},
    fingerprint="d0d0d0d0d0d0d0d0",
)


def test_the_watchdog_heartbeat_is_recorded_and_its_silence_is_the_incident(served) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import text

    from bot.incidents.heartbeats import HeartbeatStore
    from bot.monitors.heartbeat import HeartbeatMonitor
    from core.clock import utcnow

    runtime, url = served
    before = utcnow()
    answer = post(url, payload(WATCHDOG, group="Watchdog"))
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "incident": None, "change": "heartbeat"}
    assert runtime.incidents.engine.list("all") == []  # never an incident itself
    store = HeartbeatStore(runtime.engine)
    seen = store.last_seen(["Watchdog"])["Watchdog"]
    assert seen >= before
    store.beat("Watchdog", seen - timedelta(minutes=5))  # delivered late: changes nothing
    assert store.last_seen(["Watchdog"])["Watchdog"] == seen

    # in a group with a real alert, only the real alert is an incident
    mixed = post(url, payload(WATCHDOG, alert(), group="all"))
    assert mixed.json()["change"] == "opened"
    (row,) = runtime.incidents.engine.list("all")
    with runtime.engine.connect() as conn:
        members = conn.execute(
            text("SELECT key FROM incident_alert WHERE incident_id = :id"), {"id": row.id}
        ).all()
    assert [m.key for m in members] == [ALERT["fingerprint"]]  # the Watchdog is not one

    later = store.last_seen(["Watchdog"])["Watchdog"]
    assert later > seen  # the Watchdog in the mixed group counted as an arrival
    seen = later
    monitor = HeartbeatMonitor(store, ("Watchdog", "NeverSent"), timeout=600)
    assert monitor.run(seen + timedelta(minutes=9)) == []
    (finding,) = monitor.run(seen + timedelta(minutes=25))
    assert finding.alertname == "HeartbeatMissing" and finding.severity == "critical"
    assert finding.labels == {"heartbeat": "Watchdog"}
    assert finding.title == "The Watchdog heartbeat has not arrived for 25 min"
    assert "check Prometheus, its alerting rules, Alertmanager" in finding.summary
