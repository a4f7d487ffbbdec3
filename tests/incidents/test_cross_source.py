"""One alert, one incident, whichever path saw it first (issue 20 item 2): the Prometheus
monitor reads a Prometheus API emulator over real HTTP (`/api/v1/alerts`, and
`/api/v1/status/config` for the external labels Alertmanager's copy carries), Alertmanager
posts to the real webhook route with its bearer token, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.incidents.alerts import TOKEN, alert, payload, post
from tests.incidents.httpd import Answer, Scripted

EXTERNAL = {"cluster": "prod-eu", "replica": "a"}
CONFIG_YAML = (
    "global:\n  scrape_interval: 15s\n  external_labels:\n    cluster: prod-eu\n    replica: a\n"
)


def prom_alert(mountpoint: str = "/var", severity: str = "warning") -> dict[str, Any]:
    """One alert as Prometheus's own API shows it: no external labels."""
    labels = {"alertname": "HostDiskFull", "instance": "web-1:9100", "mountpoint": mountpoint,
              "severity": severity, "job": "node"}  # fmt: skip
    return {
        "labels": labels,
        "annotations": {"summary": f"Disk {mountpoint} on web-1 is 93% full"},
        "state": "firing",
        "activeAt": "2026-11-26T09:00:00Z",
        "value": "9.3e+01",
    }


def am_alert(mountpoint: str, fingerprint: str, status: str = "firing") -> dict[str, Any]:
    """The same alert as Alertmanager receives it: with Prometheus's external labels, and
    Alertmanager's own fingerprint (a hash of the full label set, never compared)."""
    return alert(labels={"mountpoint": mountpoint, **EXTERNAL}, fingerprint=fingerprint,
                 status=status)  # fmt: skip


@dataclass
class Both:
    runtime: Any
    url: str  # the Alertmanager webhook
    prometheus: Scripted

    def prom(self, *alerts: dict[str, Any]) -> None:
        body = {"status": "success", "data": {"alerts": list(alerts)}}
        self.prometheus.answers["/api/v1/alerts"] = Answer(200, body)

    def check(self) -> list[tuple[int, str]]:
        return list(self.runtime.incidents.run_checks(only={"prometheus"}).changes)

    def hook(self, body: dict[str, Any]) -> tuple[int | None, str]:
        answer = post(self.url, body)
        assert answer.status_code == 200, answer.text
        return answer.json()["incident"], answer.json()["change"]

    def events(self, incident_id: int, kind: str) -> list[Any]:
        return [e for e in self.runtime.incidents.engine.timeline(incident_id) if e.kind == kind]


@pytest.fixture
def both(make_runtime, database_url, webhook_for) -> Iterator[Both]:  # type: ignore[no-untyped-def]
    config = {"status": "success", "data": {"yaml": CONFIG_YAML}}
    prometheus = Scripted({"/api/v1/status/config": Answer(200, config)})
    runtime = make_runtime(
        database_url=database_url, alertmanager_token=TOKEN, prometheus_url=prometheus.url("")
    )
    runtime.incidents.disable_triage()
    yield Both(runtime, webhook_for(runtime), prometheus)
    prometheus.stop()


def test_prometheus_first_then_alertmanager_then_take_over(both: Both) -> None:
    engine = both.runtime.incidents.engine
    both.prom(prom_alert("/var"))
    ((pid, change),) = both.check()
    assert change == "opened"

    # the same alert through Alertmanager, external labels and all: no second incident
    assert both.hook(payload(am_alert("/var", "am-fp-1"))) == (pid, "sighted")
    assert both.hook(payload(am_alert("/var", "am-fp-1"))) == (pid, "sighted")  # re-send
    assert engine.open_count() == 1
    (seen,) = both.events(pid, "also_reported")  # once, however often it is re-sent
    assert seen.text == (
        "Also reported by Alertmanager (group alertname=HostDiskFull, receiver opsbot)"
    )
    assert seen.note is None and seen.actor == "alertmanager"  # a timeline line, no post

    # the group grows by an alert Prometheus's API does not have: it opens for that one only
    grown = payload(am_alert("/var", "am-fp-1"), am_alert("/data", "am-fp-2"))
    gid, change = both.hook(grown)
    assert change == "opened" and gid != pid
    group = engine.get(gid)
    assert set(group.details["alerts"]) == {"am-fp-2"}
    assert group.details["alert_counts"] == {"firing": 1, "alerts": 1}
    assert ["firing", "1"] in group.fields and "alerts)" not in group.title
    ((again, change),) = both.check()  # Prometheus's own incident goes on (same slot:
    assert again == pid and change in ("updated", "duplicate")  # counted once)

    # a person resolves the Prometheus incident while the alert still fires: the group's
    # next (identical) re-send takes it over, and Prometheus's next check is a sighting
    both.runtime.incidents.resolve(pid, "alice")
    assert both.hook(grown) == (gid, "updated")
    group = engine.get(gid)
    assert group.details["alert_counts"] == {"firing": 2, "alerts": 2}
    assert group.title.endswith("(2 alerts)") and ["firing", "2"] in group.fields
    notes = [e.note for e in engine.timeline(gid) if e.note]
    assert "1 new firing; 2 firing in total. Firing: mountpoint=/var" in notes
    assert both.check() == [(gid, "sighted")]
    assert engine.get(pid).status == "resolved" and engine.open_count() == 1
    (seen,) = both.events(gid, "also_reported")
    assert seen.text == "Also reported by Prometheus (HostDiskFull)"
    assert both.check() == [(gid, "sighted")] and len(both.events(gid, "also_reported")) == 1


def test_alertmanager_first_then_prometheus_then_resolve_and_take_over(both: Both) -> None:
    engine = both.runtime.incidents.engine
    gid, change = both.hook(payload(am_alert("/var", "am-fp-1")))
    assert change == "opened"
    both.prom(prom_alert("/var", severity="critical"))  # severity is not identity
    assert both.check() == [(gid, "sighted")]
    assert both.check() == [(gid, "sighted")]
    assert engine.open_count() == 1 and len(both.events(gid, "also_reported")) == 1

    # Alertmanager resolves it; Prometheus still sees it firing: now it opens its own
    assert both.hook(payload(am_alert("/var", "am-fp-1", status="resolved"))) == (
        gid,
        "resolved",
    )
    card = both.runtime.incidents.card(gid)
    assert ("firing", "0") in card.fields and ("resolved", "1") in card.fields
    ((pid, change),) = both.check()
    assert change == "opened" and pid != gid and engine.open_count() == 1
    # and the group firing again is, in turn, a sighting of the Prometheus incident
    assert both.hook(payload(am_alert("/var", "am-fp-1"))) == (pid, "sighted")


def test_without_readable_external_labels_the_last_ones_are_kept(both: Both) -> None:
    """Prometheus's config cannot be read for a while: the labels read before still apply
    (logged), so the alert is still recognised."""
    both.prom(prom_alert("/var"))
    ((pid, _),) = both.check()
    both.prometheus.answers["/api/v1/status/config"] = Answer(503, "<html>unavailable</html>")
    ((again, change),) = both.check()
    assert again == pid and change in ("updated", "duplicate")
    assert both.hook(payload(am_alert("/var", "am-fp-1"))) == (pid, "sighted")


def test_external_labels_are_read_from_the_config_with_clear_errors() -> None:
    from tools.infra.prometheus import PrometheusUnavailable, external_labels

    server = Scripted()
    try:
        config = {"status": "success", "data": {"yaml": CONFIG_YAML}}
        server.answers["/api/v1/status/config"] = Answer(200, config)
        assert external_labels(server.url("")) == EXTERNAL
        server.answers["/api/v1/status/config"] = Answer(
            200, {"status": "success", "data": {"yaml": "global:\n  scrape_interval: 15s\n"}}
        )
        assert external_labels(server.url("")) == {}  # none configured
        cases = [
            (Answer(404, "404 page not found"), "could not read the configuration"),
            (Answer(200, {"status": "error", "error": "forbidden"}), "rejected the config request.*forbidden"),
            (Answer(200, {"status": "success", "data": {"yaml": "global: [\n"}}), "not YAML"),
            (Answer(200, {"status": "success", "data": {"yaml": "global:\n  external_labels: 3"}}),
             "not a mapping"),
        ]  # fmt: skip
        for answer, problem in cases:
            server.answers["/api/v1/status/config"] = answer
            with pytest.raises(PrometheusUnavailable, match=problem):
                external_labels(server.url(""))
    finally:
        server.stop()
