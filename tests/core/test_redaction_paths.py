"""Secrets planted where they really occur (a script's output, a process command line, an
alert's annotations) never reach the checkpoint file, the approvals and audit tables, the
incident tables, the model (Anthropic emulator) or Slack (Slack emulator's recorded calls)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psutil
from sqlalchemy import text

from core.access import Caller
from tests.emulators.anthropic import AnthropicEmulator, Reply
from tests.remediation.kill_helpers import detached, reap

STRIPE = "sk_live_51HqLyjWDarjtT1zdp7dcXyZ"
GITLAB = "glpat-xX1yY2zZ3aA4bB5cC6dD"
CURL_PASSWORD = "Curl-Pa55w0rd-42"
MYSQL_PASSWORD = "Mysql-Hunter2-42"
SECRETS = (STRIPE, GITLAB, CURL_PASSWORD, MYSQL_PASSWORD)
CALLER = Caller(user="U_REQ", via="slack", channel="C1")


def _leaks(blob: str | bytes) -> list[str]:
    data = blob if isinstance(blob, str) else blob.decode("utf-8", "replace")
    return [s for s in SECRETS if s in data]


def _tables(runtime, *names: str) -> str:  # type: ignore[no-untyped-def]
    with runtime.engine.connect() as db:
        return json.dumps(
            [[list(r) for r in db.execute(text(f"SELECT * FROM {n}"))] for n in names], default=str
        )


def _config(tmp_path: Path) -> Path:
    script = tmp_path / "leak.sh"
    script.write_text(
        f"#!/bin/sh\necho 'deploy key {STRIPE}'\necho 'git token {GITLAB}' >&2\n"
        f"echo 'curl -u ci:{CURL_PASSWORD} https://ci'\n"
    )
    script.chmod(0o755)
    path = tmp_path / "remediation.yaml"
    path.write_text(f"scripts:\n  leak:\n    argv: [{script}]\n")
    return path


def test_script_output_never_reaches_checkpoints_tables_or_the_model(  # type: ignore[no-untyped-def]
    make_runtime, claude: AnthropicEmulator, tmp_path: Path, data_dir: Path
) -> None:
    claude.push(
        Reply.tool("run_remediation", {"action": "run_script", "params": {"script": "leak"}}),
        Reply.text("The script ran."),
    )
    runtime = make_runtime(
        **claude.settings(), remediation_config=_config(tmp_path), oncall_users=["U_ONCALL"]
    )
    turn = runtime.agent.ask("run the leak script", thread_id="t-leak", caller=CALLER)
    (pending,) = turn.pending
    decision, resumed = runtime.approval_flow.decide_and_resume(
        pending.id, user="U_ONCALL", approve=True, via="slack"
    )
    assert decision.ready and resumed is not None
    view = runtime.approvals.view(pending.id)
    assert view.status == "executed" and "[REDACTED]" in (view.result or "")
    assert "deploy key" in (view.result or "")  # the output itself is kept, masked
    assert _leaks(_tables(runtime, "approval", "audit_log")) == []
    assert _leaks((data_dir / "checkpoints.sqlite3").read_bytes()) == []
    sent = json.dumps(claude.requests)
    assert "deploy key" in sent  # the model did get the output...
    assert _leaks(sent) == []  # ...without the secrets


def test_a_command_line_secret_is_not_in_the_kill_preview(  # type: ignore[no-untyped-def]
    make_runtime, claude: AnthropicEmulator, tmp_path: Path, data_dir: Path
) -> None:
    # a victim outside the test process's tree (which plays opsbot's own and is protected);
    # when the tests run as root, so does the victim, which must then be named in the policy
    victim_pid = detached(
        [
            sys.executable,
            "-c",
            "import time; time.sleep(60)",
            "mysql",
            "-p",
            MYSQL_PASSWORD,
            "curl",
            "-u",
            f"ci:{CURL_PASSWORD}",
        ]
    )
    config = tmp_path / "remediation.yml"
    config.write_text(
        json.dumps({"processes": {"root_allowed": [psutil.Process(victim_pid).name()]}})
    )
    try:
        claude.push(
            Reply.tool(
                "run_remediation", {"action": "kill_process", "params": {"pid": victim_pid}}
            ),
            Reply.text("Waiting for approval."),
        )
        runtime = make_runtime(
            **claude.settings(), oncall_users=["U_ONCALL"], remediation_config=config
        )
        turn = runtime.agent.ask("kill it", thread_id="t-kill", caller=CALLER)
        (pending,) = turn.pending
        assert "command:" in pending.preview and "mysql -p [REDACTED]" in pending.preview
        assert _leaks(pending.preview) == []
        assert pending.args["params"] == {"pid": victim_pid}  # what runs stays exact
        assert _leaks(_tables(runtime, "approval", "audit_log")) == []
        assert _leaks((data_dir / "checkpoints.sqlite3").read_bytes()) == []
        assert _leaks(json.dumps(claude.requests)) == []
    finally:
        reap(victim_pid)
