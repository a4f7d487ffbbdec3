"""The log monitor on real files being written, rotated and truncated: a first look learns the
position, new lines are judged against each template's history, an error burst and a
never-seen error template become LogErrorBurst findings, a restart resumes from the stored
state, an unreadable source is a finding of its own."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.monitors.logs import LogMonitor
from tools.logs.bursts import TemplateStats, judge
from tools.logs.follow import read_appended
from tools.logs.watch import LogWatcher

NOW = datetime.now(UTC)


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a") as handle:
        handle.write("".join(line + "\n" for line in lines))


def test_follow_appends_rotation_truncation_and_partial_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, ["old line"])
    first = read_appended(str(log), None)
    assert first.lines == [] and first.position.offset == log.stat().st_size
    append(log, ["one", "two"])
    with open(log, "a") as handle:
        handle.write("half a li")  # not finished yet: waits
    got = read_appended(str(log), first.position)
    assert got.lines == ["one", "two"]
    with open(log, "a") as handle:
        handle.write("ne\n")
    got = read_appended(str(log), got.position)
    assert got.lines == ["half a line"]
    append(log, ["before rename"])
    os.rename(log, f"{log}.1")
    append(log, ["after rename"])
    got = read_appended(str(log), got.position)
    assert got.rotated and got.lines == ["before rename", "after rename"]
    shutil.copy(log, f"{log}.1")
    with open(log, "r+") as handle:
        handle.truncate(0)
    append(log, ["after truncate"])
    got = read_appended(str(log), got.position)
    assert got.truncated and got.lines == ["after truncate"]
    append(log, [f"flood {i}" for i in range(10_000)])
    flood = read_appended(str(log), got.position, budget=1000)
    assert flood.skipped_bytes > 0 and flood.lines[-1] == "flood 9999"
    assert all(line.startswith("flood ") for line in flood.lines)


def test_judge_bursts_and_new_errors_against_history() -> None:
    stats: dict[str, TemplateStats] = {}
    quiet = {"1": ["INFO ok"], "2": ["ERROR retry"]}
    for windows in range(5):
        assert judge(stats, windows, quiet) == []
    burst = judge(stats, 5, {"1": ["INFO ok"], "2": ["ERROR retry"] * 30})
    assert [(s.kind, s.template, s.count) for s in burst] == [("burst", "2", 30)]
    assert judge(stats, 6, {"1": ["INFO ok"] * 50}) == []  # INFO never bursts
    new = judge(stats, 7, {"3": ["ERROR disk on fire"]})
    assert [(s.kind, s.template) for s in new] == [("new", "3")]
    learning: dict[str, TemplateStats] = {}
    assert judge(learning, 0, {"9": ["ERROR at start"] * 3}) == []  # learning: not new


def test_the_monitor_opens_findings_and_resumes_after_a_restart(
    engine: Any, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    append(log, ["2026-12-03T07:00:00Z INFO started"])
    monitor = LogMonitor(LogWatcher(engine), (str(log),))
    assert monitor.run(NOW) == []  # the first look only learns where the file ends
    for i in range(4):
        append(log, [f"2026-12-03T07:0{i}:00Z INFO request {i} ok",
                     f"2026-12-03T07:0{i}:01Z ERROR upstream timeout after 30s"])  # fmt: skip
        assert LogMonitor(LogWatcher(engine), (str(log),)).run(NOW) == []  # a restart each time
    append(log, [f"2026-12-03T07:10:{i:02d}Z ERROR upstream timeout after 30s" for i in range(25)])
    append(log, ["2026-12-03T07:11:00Z ERROR disk quota exceeded for /srv/data password=hunter2"])
    findings = monitor.run(NOW)
    titles = sorted(f.title for f in findings)
    assert len(findings) == 2, titles
    burst = next(f for f in findings if "Error burst" in f.title)
    assert burst.alertname == "LogErrorBurst" and "25×" in burst.title
    assert "upstream timeout" in burst.title and burst.labels["source"] == str(log)
    new = next(f for f in findings if "New error" in f.title)
    assert "disk quota exceeded" in new.title


def test_an_unreadable_or_missing_source_is_a_finding(engine: Any, tmp_path: Path) -> None:
    missing = tmp_path / "gone.log"
    [finding] = LogMonitor(LogWatcher(engine), (str(missing),)).run(NOW)
    assert finding.alertname == "LogSourceUnreadable" and "gone.log" in finding.title
    glob = LogMonitor(LogWatcher(engine), (str(tmp_path / "*.nothing"),)).run(NOW)
    assert [f.alertname for f in glob] == ["LogSourceUnreadable"]
