"""Who may approve from a terminal: the OS user, mapped to a Slack user by CLI_USERS, under
the same on-call policy as a Slack click; OPSBOT_CONSOLE_USER grants nothing. The two-person
rule and APPROVAL_ALLOW_SELF compare real identities across the CLI and Slack, and the audit
names the real person. Every decision here is a real `opsbot approve` subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.identity import os_user
from core.access import Caller, Risk
from tests.bot_process import opsbot

ME = os_user()  # whoever runs the tests (root in CI)
SLACK_THREAD = "slack:T1:C1:1700000000.000100"


def remediation_config(tmp_path: Path) -> Path:
    path = tmp_path / "remediation.yaml"
    path.write_text(
        "services:\n  web:\n    restart: [/bin/true]\n"
        f"scripts:\n  mark:\n    argv: [/bin/sh, {tmp_path / 'mark.sh'}]\n"
    )
    (tmp_path / "mark.sh").write_text(f"echo ran >> {tmp_path / 'runs.txt'}\n")
    return path


def runs(tmp_path: Path) -> list[str]:
    path = tmp_path / "runs.txt"
    return path.read_text().splitlines() if path.exists() else []


def env_for(tmp_path: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "OPSBOT_DATA_DIR": str(data_dir),
        "REMEDIATION_CONFIG": str(tmp_path / "remediation.yaml"),
        **extra,
    }


def request_from_slack(runtime: Any, user: str = "U_REQ", call: str = "tc1") -> str:
    """A pending approval of the `mark` script, asked for in a Slack thread by `user`."""
    tool = runtime.toolbox.get("run_remediation")
    raw = {"action": "run_script", "params": {"script": "mark"}}
    view = runtime.approvals.request(
        thread_id=SLACK_THREAD,
        tool_call_id=call,
        tool=tool,
        args=tool.parse(raw).model_dump(mode="json"),
        caller=Caller(user=user, via="slack", channel="C1"),
        preview="would run mark",
        risk=Risk.MEDIUM,
    )
    return str(view.id)


@pytest.fixture
def runtime(make_runtime, tmp_path: Path) -> Any:  # type: ignore[no-untyped-def]
    """The bot's side (as a Slack process sees it): on-call U_ONCALL and U_OTHER."""
    return make_runtime(
        console_mode=False,
        remediation_config=remediation_config(tmp_path),
        oncall_users=["U_ONCALL", "U_OTHER"],
    )


def audit_rows(runtime: Any, approval_id: str) -> list[tuple[str, str]]:
    return [(r.outcome, r.actor) for r in runtime.audit.for_approval(approval_id)]


def test_console_user_variable_grants_nothing(runtime: Any, tmp_path: Path, data_dir) -> None:  # type: ignore[no-untyped-def]
    approval = request_from_slack(runtime)
    env = env_for(tmp_path, data_dir, ONCALL_USERS="U_ONCALL", OPSBOT_CONSOLE_USER="U_ONCALL")
    refused = opsbot("approve", approval, env=env)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "only on-call engineers can approve or reject actions" in refused.stderr
    assert f"you are OS user {ME!r} at this terminal, which CLI_USERS does not map" in (
        refused.stderr
    )
    assert "Traceback" not in refused.stderr
    assert runtime.approvals.view(approval).status == "pending"
    assert runs(tmp_path) == []
    assert audit_rows(runtime, approval) == [("requested", "U_REQ")]
    rejected = opsbot("reject", approval, env=env)
    assert rejected.returncode == 3 and runtime.approvals.view(approval).status == "pending"


def test_a_mapped_terminal_user_approves_and_the_audit_names_both(  # type: ignore[no-untyped-def]
    runtime: Any, tmp_path: Path, data_dir
) -> None:
    approval = request_from_slack(runtime)
    env = env_for(tmp_path, data_dir, ONCALL_USERS="U_ONCALL", CLI_USERS=f"{ME}=U_ONCALL")
    done = opsbot("approve", approval, "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "executed"
    assert runs(tmp_path) == ["ran"]
    final = runtime.approvals.view(approval)
    assert final.decided_by == "U_ONCALL" and final.approvers == ("U_ONCALL",)
    real = f"U_ONCALL (cli:{ME})"
    assert audit_rows(runtime, approval) == [("requested", "U_REQ"), ("approved", real), ("ok", real)]  # fmt: skip
    shown = opsbot("audit", "--json", env=env)
    assert real in [row["actor"] for row in json.loads(shown.stdout)]


def test_mapped_to_someone_not_on_call_is_refused(runtime: Any, tmp_path: Path, data_dir) -> None:  # type: ignore[no-untyped-def]
    approval = request_from_slack(runtime)
    env = env_for(tmp_path, data_dir, ONCALL_USERS="U_ONCALL", CLI_USERS=f"{ME}=U_INTERN")
    refused = opsbot("approve", approval, env=env)
    assert refused.returncode == 3
    assert "only on-call engineers can approve" in refused.stderr
    assert runtime.approvals.view(approval).status == "pending" and runs(tmp_path) == []


def test_no_self_approval_across_slack_and_the_cli(  # type: ignore[no-untyped-def]
    runtime: Any, make_runtime, tmp_path: Path, data_dir
) -> None:
    # asked for in Slack by U_ONCALL, approved at a terminal by the same person
    approval = request_from_slack(runtime, user="U_ONCALL")
    env = env_for(
        tmp_path,
        data_dir,
        ONCALL_USERS="U_ONCALL,U_OTHER",
        APPROVAL_ALLOW_SELF="false",
        CLI_USERS=f"{ME}=U_ONCALL",
        OPSBOT_CONSOLE_USER="U_OTHER",  # once enough to pass as another on-call engineer
    )
    refused = opsbot("approve", approval, env=env)
    assert refused.returncode == 3
    assert "you requested this action; another on-call engineer must approve it" in refused.stderr
    assert runtime.approvals.view(approval).status == "pending" and runs(tmp_path) == []
    # rejected, so that the same action can be asked for again (one pending per action)
    runtime.approvals.decide(approval, user="U_OTHER", approve=False, via="slack")

    # asked for at a terminal by the OS user mapped to U_ONCALL, clicked in Slack by U_ONCALL
    from bot.approvals import ApprovalError
    from bot.commands.common import request_approval
    from bot.commands.deps import terminal as terminal_of

    terminal = make_runtime(
        remediation_config=tmp_path / "remediation.yaml",
        oncall_users=["U_ONCALL", "U_OTHER"],
        cli_users={ME: "U_ONCALL"},
    )
    raw = {"action": "run_script", "params": {"script": "mark"}}
    asked = request_approval(terminal_of(terminal), "run_remediation", raw, area="remediation")
    assert asked.requested_by == "U_ONCALL"
    assert audit_rows(runtime, asked.id) == [("requested", f"U_ONCALL (cli:{ME})")]
    strict = make_runtime(
        console_mode=False,
        remediation_config=tmp_path / "remediation.yaml",
        oncall_users=["U_ONCALL", "U_OTHER"],
        approval_allow_self=False,
    )
    with pytest.raises(ApprovalError, match="another on-call engineer must approve it"):
        strict.approvals.decide(asked.id, user="U_ONCALL", approve=True, via="slack")
    strict.approvals.decide(asked.id, user="U_OTHER", approve=True, via="slack")
    assert strict.approvals.execute(asked.id).status == "executed"
    assert runs(tmp_path) == ["ran"]


def test_two_person_rule_across_slack_and_the_cli(  # type: ignore[no-untyped-def]
    make_runtime, tmp_path: Path, data_dir
) -> None:
    bot = make_runtime(
        console_mode=False,
        remediation_config=remediation_config(tmp_path),
        oncall_users=["U_ONCALL", "U_OTHER"],
        approval_two_person_risk="medium",
    )
    approval = request_from_slack(bot)
    first = bot.approvals.decide(approval, user="U_ONCALL", approve=True, via="slack")
    assert not first.ready and "1 of 2" in first.message
    env = env_for(
        tmp_path,
        data_dir,
        ONCALL_USERS="U_ONCALL,U_OTHER",
        APPROVAL_TWO_PERSON_RISK="medium",
        CLI_USERS=f"{ME}=U_ONCALL",
        OPSBOT_CONSOLE_USER="U_SECOND",  # once enough to count as a second person
    )
    same = opsbot("approve", approval, env=env)
    assert same.returncode == 3 and "you have already approved this action" in same.stderr
    assert bot.approvals.view(approval).status == "pending" and runs(tmp_path) == []
    other = opsbot("approve", approval, env=env | {"CLI_USERS": f"{ME}=U_OTHER"})
    assert other.returncode == 0, other.stderr
    assert runs(tmp_path) == ["ran"]
    assert bot.approvals.view(approval).approvers == ("U_ONCALL", "U_OTHER")
    assert audit_rows(bot, approval)[:3] == [
        ("requested", "U_REQ"),
        ("approved (1 of 2)", "U_ONCALL"),
        ("approved", f"U_OTHER (cli:{ME})"),
    ]


def test_without_an_oncall_list_the_os_user_at_the_terminal_decides(  # type: ignore[no-untyped-def]
    make_runtime, tmp_path: Path, data_dir
) -> None:
    local = make_runtime(remediation_config=remediation_config(tmp_path))
    approval = request_from_slack(local)
    done = opsbot("approve", approval, env=env_for(tmp_path, data_dir))
    assert done.returncode == 0, done.stderr
    assert runs(tmp_path) == ["ran"]
    assert local.approvals.view(approval).decided_by == f"cli:{ME}"
    assert audit_rows(local, approval)[1] == ("approved", f"cli:{ME}")
    # a Slack user can never pass as the terminal, even with the same name
    other = request_from_slack(local, call="tc2")
    from bot.approvals import ApprovalError

    with pytest.raises(ApprovalError, match="only on-call engineers"):
        local.approvals.decide(other, user=f"cli:{ME}", approve=True, via="slack")
