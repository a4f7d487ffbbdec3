"""End to end with the real `opsbot run` process (console front end, headless):

a disk threshold below current use opens exactly one incident, posted once across many check
intervals, with a suggested clean_directory; `opsbot run` restarts while the approval is
pending; an on-call approval from the CLI really deletes the old files, once, even when
approved twice; raising the threshold auto-resolves the incident and updates its message.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from bot.identity import os_user
from tests.incidents.proc import OpsbotRun, free_port, opsbot_cli

pytestmark = pytest.mark.slow


def make_logs(root: Path) -> list[Path]:
    root.mkdir(parents=True)
    stamp = time.time() - 30 * 86400
    made = []
    for i in range(4):
        path = root / f"service-{i}.log"
        path.write_text("log\n" * 2000)
        os.utime(path, (stamp, stamp))
        made.append(path)
    (root / "current.log").write_text("still being written\n")
    return made


def test_disk_incident_lifecycle_with_restart_and_approval(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    old = make_logs(logs)
    config = tmp_path / "remediation.yaml"
    config.write_text(f"clean_directories:\n  - path: {logs}\n    patterns: ['*.log']\n")
    env = {
        "OPSBOT_DATA_DIR": str(tmp_path / "data"),
        "PORT": str(free_port()),
        "CHECK_INTERVAL_SECONDS": "1",
        "MONITOR_SUSTAIN_SAMPLES": "1",
        "INCIDENT_AUTORESOLVE_CHECKS": "2",
        "DISK_FORECAST_HOURS": "0",
        "HOST_DISK_PCT": "1",  # below current use: the disk is "full"
        "HOST_CPU_PCT": "100",
        "INCIDENT_CORRELATION_MINUTES": "0",
        "HOST_MEM_PCT": "100",
        "HOST_SWAP_PCT": "100",
        "REMEDIATION_CONFIG": str(config),
        "ONCALL_USERS": "U_ONCALL",
        "CLI_USERS": f"{os_user()}=U_ONCALL",  # the terminal user is on call
        "LOG_LEVEL": "WARNING",
        # no runbooks: a SIGTERM during the first-start ingest aborts the process (outside
        # this area, reported); this test is about the incident loop, not retrieval
        "KNOWLEDGE_DIR": str(tmp_path / "no-runbooks"),
    }
    (tmp_path / "data").mkdir()
    (tmp_path / "no-runbooks").mkdir()

    # 1. the incident appears once, with a suggested action, and stays one incident
    first = OpsbotRun(tmp_path, env)
    try:
        opened = first.wait_for(r"INCIDENT #(\d+) \[OPEN · \w+\] Disk / is [\d.]+% full", 90)
        number = opened.group(1)
        action = first.wait_for(
            rf"▸ (ap-[0-9a-f]{{12}}) clean_directory \{{'path': '{re.escape(str(logs))}'", 90
        )
        approval = action.group(1)
        assert (
            f"Would delete 4 files matching *.log older than 7 days under {logs}" in first.output()
        )
        shown = first.output().count(f"INCIDENT #{number} ")
        time.sleep(6)  # many more check intervals
        assert first.output().count(f"INCIDENT #{number} ") == shown  # no re-post, no spam
        assert first.stop() == 0
    finally:
        if first.proc.poll() is None:
            first.proc.kill()
    listed = opsbot_cli(tmp_path, env, "incidents", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    disk = [i for i in json.loads(listed.stdout) if i["alertname"] == "HostDiskFull"]
    assert len(disk) == 1 and disk[0]["id"] == int(number) and disk[0]["count"] >= 5
    assert all(p.exists() for p in old)  # nothing ran without approval

    # 2. restart while pending, then approve from the CLI (another process)
    second = OpsbotRun(tmp_path, env)
    try:
        second.wait_healthy(int(env["PORT"]))
        approved = opsbot_cli(tmp_path, env, "approve", approval)
        assert approved.returncode == 0, approved.stderr
        assert f"{approval}: approved by U_ONCALL" in approved.stdout
        assert "executed: Deleted 4 files (" in approved.stdout
        assert [p.name for p in logs.iterdir()] == ["current.log"]
        # the running process posts the outcome in the incident's thread
        second.wait_for(
            rf"#{number} › ✅ clean_directory\(path='{re.escape(str(logs))}'.*ran, approved by U_ONCALL",
            30,
        )
        second.wait_for(rf"#{number}   Verification: it worked", 30)
        # a double approval changes nothing
        again = opsbot_cli(tmp_path, env, "approve", approval)
        assert again.returncode == 1 and "was already executed by U_ONCALL" in again.stderr
        audit = json.loads(opsbot_cli(tmp_path, env, "audit", "--json", "--limit", "50").stdout)
        runs = [a for a in audit if a["approval_id"] == approval and a["outcome"] == "ok"]
        assert len(runs) == 1
        assert second.stop() == 0
    finally:
        if second.proc.poll() is None:
            second.proc.kill()

    # 3. raise the threshold: the incident resolves itself and its message says so
    third = OpsbotRun(tmp_path, env | {"HOST_DISK_PCT": "99"})
    try:
        third.wait_for(rf"INCIDENT #{number} \[RESOLVED · \w+\] Disk /", 60)
        third.wait_for(
            rf"#{number} › Resolved automatically: the condition cleared for 2 consecutive checks",
            30,
        )
        assert third.stop() == 0
    finally:
        if third.proc.poll() is None:
            third.proc.kill()
    shown = opsbot_cli(tmp_path, env, "incidents", "show", number, "--json")
    data = json.loads(shown.stdout)
    assert data["status"] == "resolved" and data["resolved_by"] == "opsbot"
    kinds = [e["kind"] for e in data["timeline"]]
    assert kinds[0] == "opened" and "triaged" in kinds and "action" in kinds
    assert kinds[-1] == "resolved"
