"""`opsbot eval` end to end: one case on a fresh demo workspace of its own, the JSON report,
and exit 1 when a floor in --min-pass is not met."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

CASES = """
- {id: cli-health, category: plain, difficulty: easy, turns: [{say: "how's the box?", tools: [host_health]}]}
- {id: cli-wrong, category: terse, difficulty: easy, turns: [{say: "how's the box?", tools: [list_models]}]}
"""


def test_eval_command_reports_and_enforces_floors(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(data_dir))
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "mixed.yml").write_text(CASES)
    floors = tmp_path / "floors.yml"
    floors.write_text("plain: 1.0\nterse: 0.5\n")
    code = main(["eval", "--dir", str(cases), "--json", "--min-pass", str(floors)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["categories"]["plain"] == {"passed": 1, "total": 1, "rate": 1.0}
    assert report["categories"]["overall"]["passed"] == 1
    assert report["below_floors"] == ["terse: 0.0% is below the floor 50.0%"]
    wrong = next(c for c in report["cases"] if c["id"] == "cli-wrong")
    assert wrong["failures"] == ["turn 1: did not call list_models (called: host_health)"]
    assert wrong["tokens"] is None and wrong["cost_usd"] is None
    assert report["latency_ms"]["p50"] > 0
    assert report["difficulties"] == {"easy": {"passed": 1, "total": 2}}
    # the user's own data dir is not the suite's workspace: nothing was written into it
    assert {p.name for p in data_dir.iterdir()} <= {"opsbot.log"}

    assert main(["eval", "--dir", str(cases), "--case", "cli-health"]) == 0
    out = capsys.readouterr().out
    assert "plain" in out and "100.0%" in out and "tokens and cost: n/a" in out
    assert "by difficulty: easy 1/1" in out
