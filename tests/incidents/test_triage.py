"""Triage: evidence from the tools for the incident's kind, suggested actions from the
catalogue created as approvals, a summary from the offline planner or from Claude, and no
secret from any tool output ever reaching the model."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulators.anthropic import AnthropicEmulator, Error, Reply
from tests.incidents.httpd import Answer, Scripted

SECRET_PASSWORD = "hunter2-Pa55word"
SECRET_KEY = "api_key=ak_live_9f8e7d6c5b4a"


def old_logs(root: Path, count: int = 3) -> None:
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.time() - 20 * 86400
    for i in range(count):
        path = root / f"app-{i}.log"
        path.write_text("x" * 5000)
        os.utime(path, (stamp, stamp))


def remediation_file(tmp_path: Path, logs: Path) -> Path:
    path = tmp_path / "remediation.yaml"
    path.write_text(f"clean_directories:\n  - path: {logs}\n    patterns: ['*.log']\n")
    return path


def opened(service, report, alertname: str) -> int:  # type: ignore[no-untyped-def]
    """The incident this check opened for `alertname` (a busy CI host may open others)."""
    ids = [
        i
        for i, change in report.changes
        if change == "opened" and service.engine.get(i).alertname == alertname
    ]
    assert len(ids) == 1, report.changes
    return ids[0]


def quiet_host(**extra: object) -> dict[str, object]:
    """Thresholds that only the disk can cross (the CI host may be busy)."""
    return {
        "host_cpu_pct": 100,
        "host_mem_pct": 100,
        "host_swap_pct": 100,
        # a CPU at 100% on a loaded machine fires anyway: the disk must not join it
        "incident_correlation_minutes": 0,
        **extra,
    }


def test_offline_triage_of_a_full_disk(make_runtime, tmp_path: Path, database_url) -> None:  # type: ignore[no-untyped-def]
    logs = tmp_path / "logs"
    old_logs(logs)
    runtime = make_runtime(
        database_url=database_url,
        remediation_config=remediation_file(tmp_path, logs),
        monitor_sustain_samples=1,
        disk_forecast_hours=0,
        **quiet_host(host_disk_pct=1),
    )
    service = runtime.incidents
    service.config.background = False
    report = service.run_checks(only={"host"})
    incident_id = opened(service, report, "HostDiskFull")
    row = service.engine.get(incident_id)
    assert row.alertname == "HostDiskFull" and row.triage_status == "done"
    assert row.details["triage"]["writer"] == "offline"
    assert row.summary.startswith("*What is wrong:* Disk / is ")
    assert "*Likely cause:* The space is mostly in" in row.summary
    card = service.card(incident_id)
    (action,) = card.actions
    assert action.tool == "run_remediation" and action.status == "pending"
    assert action.args == {
        "action": "clean_directory",
        "params": {"path": str(logs), "older_than_days": 7},
    }
    assert action.thread_id == f"incident:{incident_id}"
    assert "Would delete 3 files matching *.log" in action.preview
    assert action.requested_by == "opsbot"
    # 15 KB of old logs on a disk that must lose gigabytes to get under 1%: not the fix
    assert "*Suggested:* nothing in the remediation catalogue fixes this. Not the fix: " in (
        row.summary
    )
    assert "would free 14.6 KiB" in row.summary and "irrelevant to this incident" in row.summary
    assert "the space is in " in row.summary
    assert "Note: not the fix for this incident: " in action.preview
    evidence = next(e.note for e in service.engine.timeline(incident_id) if e.kind == "triaged")
    assert "*disk_usage(path='/', top=8)*" in evidence and "*host_health()*" in evidence
    # a second triage (e.g. after a restart) does not create a second approval
    service.triage_now(incident_id)
    assert len(service.card(incident_id).actions) == 1


@pytest.fixture
def leaky_endpoint() -> Iterator[Scripted]:
    server = Scripted({"/health": Answer(503, "down", reason=f"Unavailable {SECRET_KEY}")})
    yield server
    server.stop()


def test_secrets_in_tool_output_never_reach_the_model(  # type: ignore[no-untyped-def]
    make_runtime, claude: AnthropicEmulator, leaky_endpoint: Scripted
) -> None:
    url = leaky_endpoint.url("/health", userinfo=f"probe:{SECRET_PASSWORD}")
    claude.default = Reply.text(
        "api is down (HTTP 503) since the last probe. Likely cause: the service is "
        "overloaded. Follow the endpoint-down runbook."
    )
    runtime = make_runtime(
        **claude.settings(),
        endpoints={"api": url},
        monitor_sustain_samples=1,
        **quiet_host(),
    )
    service = runtime.incidents
    service.config.background = False
    report = service.run_checks(only={"endpoint"})
    incident_id = opened(service, report, "EndpointDown")
    row = service.engine.get(incident_id)
    assert row.alertname == "EndpointDown"
    assert row.details["triage"]["writer"] == "model"
    assert row.summary.startswith("api is down (HTTP 503)")
    assert claude.requests, "the model was never asked"
    sent = json.dumps(claude.requests)
    assert "HTTP 503" in sent and "check_endpoint" in sent  # the evidence did reach it...
    assert SECRET_PASSWORD not in sent and "ak_live_9f8e7d6c5b4a" not in sent  # ...redacted
    assert "[REDACTED]" in sent
    # nor is it stored or shown anywhere
    stored = json.dumps([e.note or e.text for e in service.engine.timeline(incident_id)])
    assert SECRET_PASSWORD not in stored and "ak_live_9f8e7d6c5b4a" not in stored
    assert SECRET_PASSWORD not in json.dumps(row.fields)


def test_model_failure_falls_back_to_the_offline_summary(  # type: ignore[no-untyped-def]
    make_runtime, claude: AnthropicEmulator, leaky_endpoint: Scripted
) -> None:
    claude.push(Error(529, "overloaded_error", "Overloaded"))
    runtime = make_runtime(
        **claude.settings(),
        endpoints={"api": leaky_endpoint.url("/health")},
        monitor_sustain_samples=1,
        **quiet_host(),
    )
    service = runtime.incidents
    service.config.background = False
    report = service.run_checks(only={"endpoint"})
    incident_id = opened(service, report, "EndpointDown")
    row = service.engine.get(incident_id)
    assert row.summary.startswith("*What is wrong:* api is down")
    assert "overloaded" in row.details["triage"]["error"]
    triaged = next(e.text for e in service.engine.timeline(incident_id) if e.kind == "triaged")
    assert "the model could not write the summary" in triaged


def test_model_drift_incident_from_the_registry_check(make_runtime) -> None:  # type: ignore[no-untyped-def]
    from tools.registry.demo import seed_demo

    runtime = make_runtime(**quiet_host())
    seed_demo(runtime.registry)  # bike-demand v3 in production, with drifted current data
    service = runtime.incidents
    service.config.background = False
    report = service.run_checks(only={"drift"})
    incident_id = opened(service, report, "ModelDataDrift")
    row = service.engine.get(incident_id)
    assert row.kind == "model_drift" and row.labels == {"model": "bike-demand", "version": "3"}
    assert row.title.startswith("Data drift on bike-demand v3 (production)")
    evidence = next(e.note for e in service.engine.timeline(incident_id) if e.kind == "triaged")
    assert "*model_drift(name='bike-demand', version=3)*" in evidence
    assert "*model_status(name='bike-demand')*" in evidence
    # the drift check runs hourly: until then the incident is neither cleared nor resolved
    later = service.run_checks(only={"drift"})
    assert later.runs[0].ok is False and later.runs[0].error is None
    assert service.engine.get(incident_id).clear_checks == 0


def test_demo_seeder_is_idempotent(make_runtime) -> None:  # type: ignore[no-untyped-def]
    from bot.incidents.demo import seed_demo
    from tools.remediation.config import load_config

    runtime = make_runtime()
    first = seed_demo(runtime.data_dir)
    assert "created" in first[0] and "wrote" in first[1]
    logs = runtime.data_dir / "demo" / "logs"
    before = sorted((p.name, p.stat().st_mtime) for p in logs.iterdir())
    second = seed_demo(runtime.data_dir)
    assert "already present" in second[0] and "already present" in second[1]
    assert sorted((p.name, p.stat().st_mtime) for p in logs.iterdir()) == before
    config = load_config(runtime.data_dir / "demo" / "remediation.yaml")
    assert config.clean_directories[0].path == str(logs)
