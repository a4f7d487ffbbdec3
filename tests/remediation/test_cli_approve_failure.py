"""`opsbot approve` of an action whose execution fails exits 1 with the failure in one line.

The approving process may have another allowlist than the requesting one (another
REMEDIATION_CONFIG): the action then fails ("unknown service"), the approval is used up,
and the command says both, on one line, with exit code 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main


def _config(path: Path, services: str) -> Path:
    path.write_text(f"services:\n{services}")
    return path


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(data))
    monkeypatch.setenv("LLM_PROVIDER", "offline")
    return tmp_path


def _request_restart(workspace: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["ask", "please restart web", "--json"]) == 0
    pending = json.loads(capsys.readouterr().out)["pending_approval"]
    assert pending is not None and pending["action"] == "run_remediation"
    return str(pending["id"])


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_approve_of_a_failing_action_exits_1_in_one_line(
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    as_json: bool,
) -> None:
    with_web = _config(workspace / "with-web.yaml", "  web:\n    restart: [/bin/true]\n")
    without = _config(workspace / "without-web.yaml", "  db:\n    restart: [/bin/true]\n")
    monkeypatch.setenv("REMEDIATION_CONFIG", str(with_web))
    approval = _request_restart(workspace, capsys)

    monkeypatch.setenv("REMEDIATION_CONFIG", str(without))  # the approver's allowlist lacks it
    code = main(["approve", approval, *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("opsbot: ")
    assert approval in lines[0] and "failed" in lines[0] and "unknown service 'web'" in lines[0]
    assert "used up" in lines[0]
    if as_json:
        assert json.loads(out)["status"] == "failed"

    # used up indeed: approving again changes nothing (and says so, exit 1)
    assert main(["approve", approval]) == 1
    assert "nothing changed" in capsys.readouterr().err


def test_approve_of_a_working_action_still_exits_0(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_web = _config(workspace / "with-web.yaml", "  web:\n    restart: [/bin/true]\n")
    monkeypatch.setenv("REMEDIATION_CONFIG", str(with_web))
    approval = _request_restart(workspace, capsys)
    assert main(["approve", approval]) == 0
    out, err = capsys.readouterr()
    assert "status 0" in out and "failed" not in out and err == "", (out, err)
