"""The `opsbot` CLI: demo, prompts list/show/diff/create/label/history/render/export/import,
approvals with `opsbot approve`, and `opsbot run` serving the new version at once.

Most commands run in process through `bot.cli.main(argv)` (the same code path as the console
script, without paying the interpreter start-up for each of them); the end-to-end test runs
the real `opsbot run` server and the CLI as separate processes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.cli import main
from bot.identity import os_user
from tests.bot_process import OpsbotRun, free_port, opsbot


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def use(self, data: Path, **env: str) -> None:
        self.monkeypatch.setenv("OPSBOT_DATA_DIR", str(data))
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)

    def run(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = main(["--log-level", "WARNING", *args])
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def _env(data: Path, **extra: str) -> dict[str, str]:
    return {"OPSBOT_DATA_DIR": str(data), "LOG_LEVEL": "WARNING", **extra}


def test_demo_diff_label_approve_history_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    cli.use(tmp_path / "data")
    demo = cli.ok("demo")
    assert "prompt support-triage: created 3 versions (production=v1, then promoted to v2)" in demo
    assert "already present" in cli.ok("demo")  # idempotent

    listed = json.loads(cli.ok("prompts", "list", "--json"))
    triage = next(p for p in listed if p["name"] == "support-triage")
    assert triage["labels"] == {"production": 2} and triage["latest"] == 3

    diff = cli.ok("prompts", "diff", "support-triage", "v1", "v2")
    assert diff.startswith("support-triage v1 → support-triage v2: template and config changed")
    assert "+Answer as JSON" in diff

    created = cli.ok(
        "prompts", "create", "support-triage", "--template", "Short: {{ ticket }}",
        "-m", "a shorter prompt", "--config", '{"temperature": 0}',
    )  # fmt: skip
    assert "Created support-triage v4" in created
    bad = cli.run("prompts", "create", "support-triage", "--template", "{{ oops", "-m", "x")
    assert bad.returncode == 1 and bad.stderr.startswith("opsbot: invalid placeholder in template")
    dup = cli.run("prompts", "create", "support-triage", "--template", "Short: {{ ticket }}",
                  "-m", "x", "--config", '{"temperature": 0}')  # fmt: skip
    assert dup.returncode == 1 and "support-triage v4 already has exactly this" in dup.stderr

    pending = json.loads(
        cli.ok("prompts", "label", "support-triage", "production", "--version", "4", "--json")
    )
    assert pending["status"] == "pending" and pending["args"]["expected_version"] == 2
    assert "Move production of support-triage from v2 to v4" in pending["preview"]
    shown = json.loads(cli.ok("prompts", "show", "support-triage", "--json"))
    assert shown["version"] == 2  # nothing moved before the approval

    approved = json.loads(cli.ok("approve", pending["id"], "--json"))
    assert approved["status"] == "executed"
    assert "Moved production of support-triage: v2 → v4" in approved["result"]
    history = cli.ok("prompts", "history", "support-triage")
    assert history.splitlines()[0].endswith(f"production: v2 -> v4  set by cli:{os_user()}")

    rendered = cli.ok("prompts", "render", "support-triage", "--var", "ticket=help")
    assert rendered.strip() == "Short: help"
    missing = cli.run("prompts", "render", "support-triage")
    assert missing.returncode == 1 and "missing ticket" in missing.stderr

    unknown = cli.run("prompts", "show", "nope")
    assert unknown.returncode == 1 and unknown.stderr.startswith("opsbot: unknown prompt 'nope'")


def test_ask_diff_and_rollback_with_approval(cli: Cli, demo_workspace: Path) -> None:
    answer = cli.ok("ask", "what changed between v1 and v2 of support-triage")
    assert "```diff" in answer and "-Answer with the category only." in answer
    turn = json.loads(cli.ok("ask", "roll back support-triage", "--json"))
    assert turn["tool_calls"] == [
        {"name": "set_prompt_label", "args": {"name": "support-triage", "label": "production",
                                              "version": None}}
    ]  # fmt: skip
    approval = turn["pending_approval"]
    assert approval["risk"] == "medium" and "from v2 to v1" in approval["preview"]
    out = cli.ok("approve", approval["id"])
    assert "Rolled back production of support-triage: v2 → v1" in out
    shown = json.loads(cli.ok("prompts", "show", "support-triage", "--json"))
    assert shown["version"] == 1


def test_export_import_round_trip_through_files(
    cli: Cli, tmp_path: Path, demo_workspace: Path
) -> None:
    exported = cli.ok("prompts", "export", "support-triage", "incident-summary")
    folder = tmp_path / "prompts"
    cli.ok("prompts", "export", "--dir", str(folder))
    assert sorted(p.name for p in folder.iterdir()) == [
        "incident-summary.yaml", "opsbot-incident-summary.yaml", "opsbot-system.yaml",
        "support-triage.yaml",
    ]  # fmt: skip
    (tmp_path / "two.yaml").write_text(exported)
    cli.use(tmp_path / "b")
    report = json.loads(cli.ok("prompts", "import", str(tmp_path / "two.yaml"), "--json"))
    assert sorted(report["prompts_created"]) == ["incident-summary", "support-triage"]
    again = cli.ok("prompts", "export", "support-triage", "incident-summary")
    assert again == exported
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: something-else\n")
    bad = cli.run("prompts", "import", str(broken))
    assert bad.returncode == 1 and "is not an opsbot prompt export" in bad.stderr


@pytest.mark.slow
def test_run_serves_the_new_version_at_once_after_an_approved_rollback(
    cli: Cli, tmp_path: Path, demo_workspace: Path
) -> None:
    """`opsbot run` in its own process serves prompts; this process (the CLI) asks for and
    approves a rollback; the server's very next answer is the new version."""
    data = demo_workspace
    port = free_port()
    empty = tmp_path / "no-runbooks"
    empty.mkdir()
    # no runbooks to index and no monitor runs competing for the CPU while the test waits
    env = _env(
        data, PROMPTS_API_TOKEN="tok-123", PORT=str(port), KNOWLEDGE_DIR=str(empty),
        CHECK_INTERVAL_SECONDS="86400",
    )  # fmt: skip
    run = OpsbotRun(tmp_path, env, "--no-console")
    url = f"http://127.0.0.1:{port}/prompts/support-triage"
    auth = {"Authorization": "Bearer tok-123"}
    try:
        run.wait_healthy(port, timeout=90)
        first = httpx.get(url, headers=auth, timeout=2)
        assert first.status_code == 200 and first.json()["version"] == 2
        etag = first.headers["etag"]
        assert httpx.get(url, headers=auth | {"If-None-Match": etag}, timeout=5).status_code == 304
        pending = json.loads(cli.ok("prompts", "label", "support-triage", "--rollback", "--json"))
        # pending: nothing served changes
        assert httpx.get(url, headers=auth | {"If-None-Match": etag}, timeout=5).status_code == 304
        cli.ok("approve", pending["id"])
        after = httpx.get(url, headers=auth | {"If-None-Match": etag}, timeout=5)
        assert after.status_code == 200 and after.json()["version"] == 1
        assert run.stop(timeout=20) == 0
    finally:
        run.kill()


def test_the_console_script_reports_errors_in_one_line(tmp_path: Path) -> None:
    result = opsbot("prompts", "show", "nope", env=_env(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("opsbot: unknown prompt 'nope'")


def test_label_request_redacts_secrets_in_its_preview_as_the_chat_does(
    cli: Cli, tmp_path: Path
) -> None:
    cli.use(tmp_path / "data")
    cli.ok("prompts", "create", "svc-login", "--template", "Log in as {{ user }}.", "-m", "v1")
    cli.ok("prompts", "label", "svc-login", "production", "--version", "1")
    cli.ok("approve", json.loads(cli.ok("approvals", "--json"))[0]["id"])
    secret = "Log in as {{ user }} with api_key=sk-live-0123456789abcdefghij."
    cli.ok("prompts", "create", "svc-login", "--template", secret, "-m", "v2")

    text = cli.ok("prompts", "label", "svc-login", "production", "--version", "2")
    pending = json.loads(cli.ok("approvals", "--json"))[0]
    assert "[REDACTED]" in pending["preview"] and "sk-live-0123456789" not in pending["preview"]
    assert "[REDACTED]" in text and "sk-live-0123456789" not in text
    assert f"run: opsbot approve {pending['id']}   or: opsbot reject {pending['id']}" in text
