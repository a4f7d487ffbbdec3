"""The files triage posts with its evidence note: the log excerpt's shape and its cap, a plot
only while it is on disk, and event data that does not describe a file left out, logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.incidents.attachments import MAX_LOG_CHARS, log_excerpt, triage_files
from bot.incidents.contract import NoteFile
from bot.incidents.notify import note_files
from bot.incidents.tables import IncidentEvent
from graphs.triage_types import Evidence


def _logs(n: int, width: int = 40) -> dict[str, object]:
    return {
        "count": n,
        "first": {"source": "/var/log/app.log", "at": "2026-12-03T10:00:00Z", "line": "ERROR first"},
        "templates": [{"template": "ERROR request failed <*>", "count": n}],
        "matches": [
            {"source": "/var/log/app.log", "at": f"2026-12-03T10:{i % 60:02d}:00Z",
             "line": f"ERROR request failed {i} " + "x" * width, "before": ["INFO before"],
             "after": []}
            for i in range(n)
        ],
    }  # fmt: skip


def test_the_log_excerpt_reads_like_grep_with_the_templates_first() -> None:
    text = log_excerpt(_logs(2))
    lines = text.splitlines()
    assert lines[0] == "# 2 matching line(s); newest first"
    assert lines[1].startswith("# first error: 2026-12-03T10:00:00Z /var/log/app.log: ERROR first")
    assert "×" in lines[2] and "ERROR request failed <*>" in lines[2]
    assert lines.count("--") == 2 and "INFO before" in lines


def test_a_huge_excerpt_is_cut_and_says_so() -> None:
    text = log_excerpt(_logs(3000, width=200))
    assert len(text) <= MAX_LOG_CHARS + 100
    assert text.endswith(f"# … cut at {MAX_LOG_CHARS:,} characters\n")


def test_files_only_for_what_exists(tmp_path: Path) -> None:
    plot = tmp_path / "anomaly-cpu.png"
    evidence = [
        Evidence("search_logs", {}, True, "2 lines", _logs(2)),
        Evidence("search_logs", {}, False, "failed", None),
        Evidence("host_health", {}, True, "ok", {}),
    ]
    assert [f.filename for f in triage_files(3, {"plot": str(plot)}, evidence)] == [
        "incident-3-logs.txt"
    ]  # the plot is not on disk
    plot.write_bytes(b"\x89PNG")
    names = [f.filename for f in triage_files(3, {"plot": str(plot)}, evidence[1:])]
    assert names == ["anomaly-cpu.png"]
    assert triage_files(3, {}, [Evidence("search_logs", {}, True, "none", {"matches": []})]) == []


def test_event_data_that_is_not_a_file_is_left_out_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = NoteFile("a.txt", "A", content="x").to_json()
    event = IncidentEvent(id=5, incident_id=1, kind="triaged",
                          data={"files": [good, {"title": "no name"}, "junk", {"filename": "p"}]})  # fmt: skip
    with caplog.at_level(logging.WARNING):
        files = note_files(event)
    assert files == [NoteFile("a.txt", "A", content="x")]
    assert caplog.text.count("names a file opsbot cannot read") == 3
    assert note_files(IncidentEvent(id=6, incident_id=1, kind="x", data={})) == []
