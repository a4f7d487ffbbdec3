"""Triage's PromQL evidence against the real Prometheus (Debian's build, fetched by
scripts/test_binaries.sh; skipped with the reason where it is absent): the alert's own
expression now and as a range query over the last hour, read into the summary."""

from __future__ import annotations

from pathlib import Path

from graphs.triage import run_triage
from graphs.triage_types import IncidentInput, TriageDeps
from tests.realclients.stack import Prometheus, binary
from tools.base import Toolbox
from tools.infra.tools import InfraConfig, build_infra_tools

EXPR = 'label_replace(vector(97.2), "instance", "db-7.example.net:9100", "", "") > 90'


def test_the_expression_now_and_over_the_last_hour(tmp_path: Path) -> None:
    binary("prometheus")
    labels = {"instance": "db-7.example.net:9100", "mountpoint": "/data"}
    incident = IncidentInput(1, "Disk /data almost full", "NodeFilesystemAlmostOutOfSpace",
                             "alertmanager", "critical", labels=labels,
                             summary="Filesystem has less than 10% left.",
                             details={"expr": EXPR}, local=False)  # fmt: skip
    with Prometheus(tmp_path / "prom") as prom:
        tools = build_infra_tools(InfraConfig(prometheus_url=prom.url))
        result = run_triage(TriageDeps(toolbox=Toolbox(tools)), incident)
    assert [(e.tool, e.ok) for e in result.evidence] == [("query_metrics", True)] * 2, [
        e.text for e in result.evidence
    ]
    assert (
        "returned 97.2 for instance=db-7.example.net:9100; over the last 1h steady at 97.2"
    ) in result.summary
    assert "db-7.example.net:9100 is not this host" in result.summary
    assert "less than 10% left" not in result.summary
