"""One filesystem, one percentage, one level: host_health, disk_usage, clean_directory and the
host monitor all report what `df` shows (used / (used + available), reserved blocks left out)
and the same ok/warn/crit for it. Real filesystem (the one holding tmp_path), real files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot.monitors.host import HostConfig, HostMonitor
from bot.monitors.samples import SampleStore
from core.access import Caller
from core.clock import utcnow
from core.incidents import CRITICAL
from tools.infra.disk import mount_of
from tools.infra.levels import Thresholds, level
from tools.infra.tools import InfraConfig, build_infra_tools
from tools.infra.usage import filesystem_usage
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.config import parse_config

CALLER = Caller(user="tester", via="test")
# other engineers write to this disk at the same time: allow a small drift between readings
DRIFT = 0.3


def df_percent(path: Path) -> float:
    """What df computes: used / (used + available to unprivileged users)."""
    st = os.statvfs(path)
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    available = st.f_bavail * st.f_frsize
    return 100.0 * used / (used + available)


def tools(thresholds: Thresholds) -> dict:
    return {t.name: t for t in build_infra_tools(InfraConfig(thresholds=thresholds))}


def test_the_one_definition_is_dfs(tmp_path: Path) -> None:
    usage = filesystem_usage(str(tmp_path))
    assert usage.percent == pytest.approx(df_percent(tmp_path), abs=DRIFT)
    assert usage.used + usage.free <= usage.total


def test_every_path_reports_the_same_percent_and_level(tmp_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    mount = mount_of(tmp_path)
    expected = df_percent(tmp_path)
    # a threshold just under the current figure: crit in host_health, so a critical incident
    thresholds = Thresholds(
        cpu=1000, memory=100, swap=100, inodes=100, disk=max(expected - 1, 0.1), warn_margin=10
    )
    box = tools(thresholds)

    health = box["host_health"].invoke({}, CALLER)
    disks = {d["mountpoint"]: d for d in health.data["disks"]}
    if mount not in disks:
        pytest.skip(f"{mount} is not among the real partitions host_health reports")
    assert disks[mount]["percent"] == pytest.approx(expected, abs=DRIFT)
    health_level = health.data["levels"][f"disk {mount}"]
    assert health_level == level(expected, thresholds.disk, thresholds.warn_margin) == "crit"

    usage = box["disk_usage"].invoke({"path": str(tmp_path)}, CALLER)
    assert usage.data["mount"]["percent"] == pytest.approx(expected, abs=DRIFT)

    logs = tmp_path / "logs"
    logs.mkdir()
    old = logs / "old.log"
    old.write_text("x" * 100)
    stamp = time.time() - 30 * 86400
    os.utime(old, (stamp, stamp))
    cat = RemediationCatalogue(parse_config({"clean_directories": [{"path": str(logs)}]}, "t"))
    action, params = cat.parse("clean_directory", {"path": str(logs)})
    cleaned = action.execute(params)
    assert cleaned.data["deleted"] == 1
    assert cleaned.data["filesystem_percent"] == pytest.approx(expected, abs=DRIFT)
    assert f"{cleaned.data['filesystem_percent']}% used" in cleaned.text

    monitor = HostMonitor(
        SampleStore(engine), HostConfig(thresholds=thresholds, sustain=1, forecast_hours=0)
    )
    findings = [f for f in monitor.run(utcnow()) if f.alertname == "HostDiskFull"]
    (finding,) = [f for f in findings if f.labels.get("mountpoint") == mount]
    shown = float(dict(finding.fields)["used"].rstrip("%"))
    assert shown == pytest.approx(expected, abs=max(DRIFT, 0.1))
    assert finding.severity == CRITICAL  # the same level host_health shows: CRIT
