"""`search_logs` on real files being written, rotated and truncated: only allowlisted files
are read; time window, text, regex and level filter; newest first with context; templates when
there are many; secrets masked; every bad source a reason, never a crash."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.access import Caller
from tests.bot_process import opsbot
from tools.logs.search import timestamp
from tools.logs.tools import SearchLogs

CALLER = Caller("U1", "cli")
NOW = datetime.now(UTC).replace(microsecond=0)


def stamp(minutes_ago: float) -> str:
    """A timestamp `minutes_ago` before now (now when called: a module-level time would go stale
    while a long suite runs)."""
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write(path: Path, lines: list[str], mode: str = "w") -> None:
    with open(path, mode) as handle:
        handle.write("".join(line + "\n" for line in lines))


def tool(*patterns: str, max_bytes: int = 2_000_000):  # type: ignore[no-untyped-def]
    return SearchLogs(tuple(patterns), max_bytes).tool()


def test_timestamps_iso_syslog_and_none() -> None:
    assert timestamp("2026-12-03T07:00:01Z app: ok", NOW) == datetime(
        2026, 12, 3, 7, 0, 1, tzinfo=UTC
    )
    assert timestamp("2026-12-03 09:00:01+02:00 x", NOW) == datetime(
        2026, 12, 3, 7, 0, 1, tzinfo=UTC
    )
    syslog = timestamp("Mar  4 05:06:07 host sshd[1]: x", datetime(2026, 12, 3, tzinfo=UTC))
    assert syslog == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert timestamp("Traceback (most recent call last):", NOW) is None


def test_window_text_level_and_context(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, [
        f"{stamp(120)} ERROR old failure, outside the window",
        f"{stamp(30)} INFO request ok",
        f"{stamp(20)} ERROR payment failed: timeout talking to bank",
        "Traceback (most recent call last):",
        f"{stamp(10)} WARNING retrying payment",
        f"{stamp(5)} ERROR payment failed: card declined password=hunter2",
    ])  # fmt: skip
    result = tool(str(log)).invoke({"text": "payment failed", "since": "1h"}, CALLER)
    assert result.ok and result.data["count"] == 2
    newest, older = result.data["matches"]
    assert "card declined" in newest["line"] and "timeout" in older["line"]
    assert older["after"][0].startswith("Traceback")  # context lines
    assert "hunter2" not in result.text and "hunter2" not in json.dumps(result.data)
    errors = tool(str(log)).invoke({"level": "warning", "since": "1h"}, CALLER)
    assert errors.data["count"] == 3  # two errors and the warning; not the INFO, not the old one
    regex = tool(str(log)).invoke({"text": r"failed: (timeout|card)", "regex": True}, CALLER)
    assert regex.data["count"] == 2
    bad = tool(str(log)).invoke({"text": "(unclosed", "regex": True}, CALLER)
    assert not bad.ok and "not a valid regular expression" in bad.text
    bad_level = tool(str(log)).invoke({"level": "loud"}, CALLER)
    assert not bad_level.ok and "unknown level 'loud'" in bad_level.text


def test_rotation_truncation_and_budgets(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, [f"{stamp(40)} ERROR before the rotation"])
    os.rename(log, f"{log}.1")  # logrotate's rename
    write(log, [f"{stamp(2)} ERROR after the rotation"])
    both = tool(str(log)).invoke({"text": "rotation"}, CALLER)
    assert both.data["count"] == 2
    shutil.copy(log, f"{log}.1")  # copytruncate
    with open(log, "r+") as handle:
        handle.truncate(0)
    write(log, [f"{stamp(1)} ERROR written after truncation"], mode="a")
    after = tool(str(log)).invoke({"text": "ERROR"}, CALLER)
    assert after.data["count"] == 2 and "after truncation" in after.data["matches"][0]["line"]
    write(log, [f"{stamp(1)} INFO line {i}" for i in range(5000)])
    small = tool(str(log), max_bytes=10_000).invoke({"text": "line"}, CALLER)
    assert 0 < small.data["count"] < 5000
    assert any("only its last 10 kB were read" in p for p in small.data["problems"])


def test_only_allowlisted_files_and_clear_problems(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, [f"{stamp(1)} ERROR boom"])
    secret = tmp_path / "secret.txt"
    write(secret, [f"{stamp(1)} ERROR do not read"])
    outside = tool(str(log)).invoke({"source": str(secret)}, CALLER)
    assert outside.data["count"] == 0
    assert any("is not a configured log source" in p for p in outside.data["problems"])
    gone = tool(str(tmp_path / "missing.log"), str(tmp_path / "*.nothing")).invoke({}, CALLER)
    assert gone.ok and gone.data["count"] == 0
    assert any("missing.log does not exist" in p for p in gone.data["problems"])
    assert any("no file matches" in p for p in gone.data["problems"])
    directory = tool(str(tmp_path)).invoke({}, CALLER)
    assert any("is not a regular file" in p for p in directory.data["problems"])


def test_many_matches_are_grouped_by_template(tmp_path: Path) -> None:
    log = tmp_path / "hdfs.log"
    lines = [f"{stamp(50 - i * 0.01)} INFO Receiving block blk_{1000 + i} src: /10.0.0.{i % 9}:5{i % 7}0"
             for i in range(40)]  # fmt: skip
    lines += [f"{stamp(1)} INFO Deleting block blk_{i} file /data/{i}" for i in range(5)]
    write(log, lines)
    result = tool(str(log)).invoke({"text": "block", "limit": 5}, CALLER)
    assert result.data["count"] == 45 and len(result.data["matches"]) == 5
    top = result.data["templates"][0]
    assert top["count"] == 40 and "Receiving block" in top["template"]


def test_the_cli_searches_the_configured_sources(tmp_path: Path, data_dir: Path) -> None:
    log = tmp_path / "app.log"
    write(log, [f"{stamp(3)} ERROR disk quota exceeded", f"{stamp(2)} INFO fine"])
    env = {"OPSBOT_DATA_DIR": str(data_dir), "LOG_SOURCES": str(log)}
    found = opsbot("logs", "quota", "--level", "error", "--json", env=env)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["count"] == 1
    off = opsbot("logs", "quota", env={"OPSBOT_DATA_DIR": str(data_dir)})
    assert off.returncode == 2 and "set LOG_SOURCES" in off.stderr


def test_triage_quotes_the_errors_logged_before_the_incident(  # type: ignore[no-untyped-def]
    make_runtime, tmp_path: Path
) -> None:
    from tests.incidents.alerts import fire

    log = tmp_path / "checkout.log"
    write(log, [
        f"{stamp(12)} INFO started",
        f"{stamp(9)} ERROR db pool exhausted (max=20)",
        f"{stamp(4)} ERROR request failed: pool timeout api_key=ak_live_0123456789abcdef",
    ])  # fmt: skip
    runtime = make_runtime(console_mode=False, log_sources=[str(log)])
    service = runtime.incidents
    service.config.background = False
    labels = {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"}
    incident_id = fire(service, labels, "checkout: 12% of requests fail", "c0ffee00000000cc")
    evidence = next(e.note for e in service.engine.timeline(incident_id) if e.kind == "triaged")
    assert "*search_logs(level='error', since='30m', limit=10)*" in evidence
    assert "First in the window:" in evidence and "db pool exhausted" in evidence
    assert "ak_live_0123456789abcdef" not in evidence
    assert "(the lines are in the attached file)" in evidence  # not a wall of text
    triaged = next(e for e in service.engine.timeline(incident_id) if e.kind == "triaged")
    [logs] = triaged.data["files"]
    assert logs["filename"] == f"incident-{incident_id}-logs.txt"
    assert "db pool exhausted (max=20)" in logs["content"]
    assert "request failed: pool timeout" in logs["content"]
    assert "ak_live_0123456789abcdef" not in logs["content"]  # redacted like the note


def test_a_regex_that_could_take_exponential_time_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, [f"{stamp(1)} ERROR " + "a" * 50_000 + "!"])
    for pattern in ("(a+)+$", "(x|a*)*b", "([a-z]+)*!z"):
        refused = tool(str(log)).invoke({"text": pattern, "regex": True}, CALLER)
        assert not refused.ok and "nested repetition" in refused.text, pattern
    fine = tool(str(log)).invoke({"text": r"ERROR a{3}", "regex": True}, CALLER)
    assert fine.ok and fine.data["count"] == 1
