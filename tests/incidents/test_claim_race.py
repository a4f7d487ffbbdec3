"""Two replicas race for the same alert: one receives it from Alertmanager while the other's
Prometheus monitor finds it, at the same moment, each with its own engine and connection
pool on the same database. The unique claim decides: one incident, and one sighting."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.incidents.alertmanager import ingest, parse_payload
from bot.incidents.engine import IncidentEngine
from bot.incidents.spec import event_hash_for_cycle
from bot.incidents.tables import Incident, IncidentClaim
from bot.monitors.prometheus import PrometheusMonitor
from bot.storage.db import make_engine, session
from core.clock import utcnow
from tests.incidents.alerts import alert, payload
from tests.incidents.httpd import Answer, Scripted

ROUNDS = 12
CONFIG = {"status": "success", "data": {"yaml": "global:\n  external_labels:\n    dc: eu-1\n"}}


def _prometheus_alerts() -> dict[str, Any]:
    alerts = [
        {"labels": {"alertname": "HostDiskFull", "instance": "web-1:9100", "job": "node",
                    "mountpoint": f"/m{i}", "severity": "warning"},
         "annotations": {"summary": f"/m{i} is full"}, "state": "firing", "value": "1e+00"}
        for i in range(ROUNDS)
    ]  # fmt: skip
    return {"status": "success", "data": {"alerts": alerts}}


def test_replicas_racing_open_one_incident_per_alert(engine: Engine) -> None:
    server = Scripted(
        {"/api/v1/alerts": Answer(200, _prometheus_alerts()),
         "/api/v1/status/config": Answer(200, CONFIG)}
    )  # fmt: skip
    try:
        findings = PrometheusMonitor(server.url("")).run(utcnow())
    finally:
        server.stop()
    assert [f.labels["mountpoint"] for f in findings] == [f"/m{i}" for i in range(ROUNDS)]
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        replica_a, replica_b = IncidentEngine(engine), IncidentEngine(other)
        start = threading.Barrier(2)

        def from_alertmanager(i: int) -> tuple[int | None, str]:
            item = alert(labels={"mountpoint": f"/m{i}", "dc": "eu-1"}, fingerprint=f"am{i}")
            body = parse_payload(payload(item, group=f"disks-{i}"))
            start.wait(timeout=30)
            return ingest(replica_a, body)

        def from_prometheus(i: int) -> tuple[int, str]:
            start.wait(timeout=30)
            return replica_b.observe(findings[i], event_hash_for_cycle(findings[i], 1))

        outcomes = []
        with ThreadPoolExecutor(2) as pool:
            for i in range(ROUNDS):
                am = pool.submit(from_alertmanager, i)
                prom = pool.submit(from_prometheus, i)
                outcomes.append((am.result(timeout=60), prom.result(timeout=60)))
    finally:
        other.dispose()

    for (am_id, am_change), (prom_id, prom_change) in outcomes:
        assert am_id == prom_id  # both name the one incident
        assert sorted([am_change, prom_change]) == ["opened", "sighted"]
    with session(engine) as db:
        assert db.execute(select(func.count()).select_from(Incident)).scalar_one() == ROUNDS
        claims = db.execute(select(IncidentClaim.incident_id)).scalars().all()
    assert sorted(claims) == sorted(am_id for (am_id, _), _prom in outcomes)
    # who won varies from run to run; each winner's incident records the loser once
    for (incident_id, _), _prom in outcomes:
        assert incident_id is not None
        events = replica_a.timeline(incident_id)
        assert [e.kind for e in events].count("also_reported") == 1
