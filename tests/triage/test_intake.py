"""An Alertmanager alert's expression (its `generatorURL`) reaches triage: the incident keeps
it, triage queries it on the configured Prometheus (a local emulator over real HTTP), and an
instance naming this host by address brings this host's disk usage into the evidence."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.incidents.alertmanager import parse_payload
from core.clock import iso, utcnow
from tests.emulators.prometheus import PrometheusEmulator, prometheus_emulator
from tests.incidents.alerts import alert, payload

EXPR = 'node_filesystem_avail_bytes{job="node"} / node_filesystem_size_bytes{job="node"} * 100 < 5'


@pytest.fixture
def prom() -> Iterator[PrometheusEmulator]:
    with prometheus_emulator() as emulator:
        yield emulator


def test_the_rule_expression_is_queried_by_triage(  # type: ignore[no-untyped-def]
    make_runtime, prom: PrometheusEmulator, tmp_path: Path
) -> None:
    labels = {"alertname": "NodeFilesystemAlmostOutOfSpace", "instance": "127.0.0.1:9100",
              "mountpoint": str(tmp_path), "job": "node", "severity": "warning"}  # fmt: skip
    series = {k: v for k, v in labels.items() if k not in ("alertname", "severity")}
    turn = time.time() - 1800  # 4.4 until half an hour ago, 3.1 since
    prom.series[EXPR] = [(series, lambda t: 3.1 if t >= turn else 4.4)]
    runtime = make_runtime(prometheus_url=prom.url)
    service = runtime.incidents
    service.config.background = False
    item = alert(
        labels=labels,
        annotations={"summary": "Filesystem almost out of space",
                     "description": "Filesystem has less than 5% space left."},
        startsAt=iso(utcnow()),
        generatorURL=f"http://prometheus:9090/graph?g0.expr={quote(EXPR)}&g0.tab=1",
        fingerprint="fa0111e500000001",
    )  # fmt: skip
    incident_id, change = service.ingest_alertmanager(
        parse_payload(payload(item, group=labels["alertname"]))
    )
    assert change == "opened" and incident_id is not None
    row = service.engine.get(incident_id)
    assert row.details["expr"] == EXPR
    assert row.triage_status == "done"
    assert [(path, params["query"]) for path, params in prom.requests] == [
        ("/api/v1/query", EXPR),
        ("/api/v1/query_range", EXPR),
    ]
    assert (
        f"returned 3.1 for instance=127.0.0.1:9100, mountpoint={tmp_path}, job=node; over the "
        "last 1h between 3.1 and 4.4"
    ) in row.summary
    assert f"disk_usage of {tmp_path} shows " in row.summary  # 127.0.0.1 is this host
    assert "less than 5% space left" not in row.summary  # the annotation is not the evidence


def test_a_placeholder_generator_url_keeps_no_expression(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime()
    service = runtime.incidents
    service.config.background = False
    incident_id, _ = service.ingest_alertmanager(parse_payload(payload()))  # g0.expr=...
    assert incident_id is not None
    assert "expr" not in service.engine.get(incident_id).details
