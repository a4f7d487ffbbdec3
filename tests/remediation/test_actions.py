"""The catalogue's actions against real files and real processes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.remediation.kill_helpers import (
    AS_ROOT,
    SH,
    SLEEP,
    detached,
    gone,
    reap,
    running,
    victim_policy,
)
from tools.base import ToolError
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.config import parse_config

# a parent that is init (pytest started by nohup or in a container as PID 1's child) is refused
# as init, before the parent check is reached
PARENT_REFUSAL = "PID 1 (init)" if os.getppid() == 1 else "that is opsbot's parent process"

DAY = 86400


def old(path: Path, days: float, size: int = 1000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))
    return path


def catalogue(**config: object) -> RemediationCatalogue:
    return RemediationCatalogue(parse_config(config, "test"))


# ---------------------------------------------------------------------- clean_directory
@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    old(root / "app.log", 10, 2048)
    old(root / "sub" / "worker.log.gz", 30, 4096)
    old(root / "fresh.log", 1)  # too young
    old(root / "keep.txt", 30)  # pattern does not match
    outside = old(tmp_path / "outside" / "secret.log", 30)
    (root / "link.log").symlink_to(outside)  # never followed, never deleted
    (root / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    return root


def test_clean_dry_run_lists_files_and_bytes_then_execute_deletes_only_them(logs: Path) -> None:
    cat = catalogue(clean_directories=[{"path": str(logs), "patterns": ["*.log", "*.gz"]}])
    action, params = cat.parse("clean_directory", {"path": str(logs), "older_than_days": 7})
    preview = action.dry_run(params)
    assert preview.startswith("Would delete 2 files matching *.log, *.gz older than 7 days")
    assert "(6.0 KiB)" in preview and "worker.log.gz" in preview and "app.log" in preview
    assert "fresh.log" not in preview and "secret.log" not in preview
    assert list(logs.rglob("*")) != []  # the dry run changed nothing
    result = action.execute(params)
    assert result.ok and result.data["deleted"] == 2 and result.data["bytes"] == 6144
    assert sorted(p.name for p in logs.rglob("*")) == [
        "fresh.log", "keep.txt", "link.log", "linkdir", "sub",
    ]  # fmt: skip
    assert (logs.parent / "outside" / "secret.log").exists()
    assert action.verify(params, result).startswith("it worked: no files matching")
    with pytest.raises(ToolError, match="nothing to clean"):
        action.dry_run(params)


def test_clean_refuses_what_is_not_allowed(logs: Path, tmp_path: Path) -> None:
    cat = catalogue(clean_directories=[{"path": str(logs), "min_age_days": 5}])
    action = cat.get("clean_directory")
    cases = [
        ({"path": str(tmp_path / "outside")}, "is not under an allowed directory"),
        ({"path": str(logs / "linkdir")}, "is not under an allowed directory"),  # symlink escape
        ({"path": str(logs / ".." / "outside")}, "is not under an allowed directory"),
        ({"path": "logs"}, "path must be absolute"),
        ({"path": str(logs), "older_than_days": 2}, "older_than_days must be at least 5"),
        ({"path": str(logs), "patterns": ["*.txt"]}, "pattern(s) *.txt are not allowed"),
        ({"path": str(logs / "missing")}, "does not exist"),
        ({"path": str(logs), "older_than_days": "soon"}, "bad params for clean_directory"),
    ]
    for raw, message in cases:
        with pytest.raises(ToolError) as caught:
            action.dry_run(action.parse(raw))
        assert message in str(caught.value), (raw, str(caught.value))
    with pytest.raises(ToolError, match="no directories may be cleaned"):
        a = catalogue().get("clean_directory")
        a.dry_run(a.parse({"path": str(logs)}))


def test_a_file_rewritten_while_waiting_is_kept(logs: Path) -> None:
    cat = catalogue(clean_directories=[{"path": str(logs)}])
    action, params = cat.parse("clean_directory", {"path": str(logs)})
    plan = action._plan(params)  # what the approver saw
    (logs / "app.log").write_text("new data")  # rewritten before execution
    result = action.execute(params)
    assert result.data["deleted"] == 1 and (logs / "app.log").exists()
    assert len(plan.files) == 2


# ---------------------------------------------------------------------- commands
def script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "cmd.py"
    path.write_text(body)
    return [sys.executable, str(path)]


def test_restart_service_runs_the_configured_argv(tmp_path: Path) -> None:
    marker = tmp_path / "restarted"
    argv = script(tmp_path, f"open({str(marker)!r}, 'a').write('x'); print('web restarted')")
    check = [sys.executable, "-c", "pass"]
    cat = catalogue(services={"web": {"restart": argv, "timeout_seconds": 10, "check": check}})
    action, params = cat.parse("restart_service", {"service": "web"})
    assert action.dry_run(params).startswith(f"Would restart web by running `{' '.join(argv)}`")
    result = action.execute(params)
    assert result.ok and "exited with status 0" in result.text and "web restarted" in result.text
    assert marker.read_text() == "x"
    assert action.verify(params, result).startswith("it worked")
    with pytest.raises(ToolError, match="unknown service 'db'; restartable services: web"):
        action.dry_run(action.parse({"service": "db"}))


def test_a_hanging_command_is_killed_at_its_timeout(tmp_path: Path) -> None:
    argv = script(
        tmp_path, "import time, subprocess, sys\nprint('starting', flush=True)\ntime.sleep(60)"
    )
    cat = catalogue(scripts={"slow": {"argv": argv, "timeout_seconds": 0.5}})
    action, params = cat.parse("run_script", {"script": "slow"})
    started = time.monotonic()
    result = action.execute(params)
    assert time.monotonic() - started < 10
    assert not result.ok and "timed out after" in result.text and "starting" in result.text


def test_failed_and_missing_commands_report_clearly(tmp_path: Path) -> None:
    cat = catalogue(
        scripts={
            "fails": {
                "argv": script(tmp_path, "import sys; sys.stderr.write('disk locked'); sys.exit(3)")
            },
            "missing": {"argv": ["/nonexistent/tool"]},
        }
    )
    action = cat.get("run_script")
    failed = action.execute(action.parse({"script": "fails"}))
    assert not failed.ok and "exited with status 3" in failed.text and "disk locked" in failed.text
    missing = action.execute(action.parse({"script": "missing"}))
    assert not missing.ok and "could not start" in missing.text
    with pytest.raises(
        ToolError, match="unknown script 'nope'; configured scripts: fails, missing"
    ):
        action.dry_run(action.parse({"script": "nope"}))


# ---------------------------------------------------------------------- kill_process
# Victims are detached (outside the test process's tree, which plays opsbot's and is
# protected); see tests/remediation/kill_helpers.py and test_kill_protection.py.
def test_kill_process_sigterm_then_gone(tmp_path: Path) -> None:
    victim = detached([SLEEP, "300"])
    try:
        cat = catalogue(processes=victim_policy(grace_seconds=5))
        action, params = cat.parse("kill_process", {"pid": victim})
        preview = action.dry_run(params)
        assert preview.startswith(f"Would send SIGTERM to PID {victim}")
        assert "SIGKILL if it is still running after 5s" in preview
        assert action.risk(params) == "high"
        result = action.execute(params)
        assert result.ok and "exited after SIGTERM" in result.text
        assert gone(victim)
        assert action.verify(params, result).startswith("it worked")
    finally:
        reap(victim)


def test_kill_process_escalates_to_sigkill(tmp_path: Path) -> None:
    stubborn = detached([SH, "-c", f"trap '' TERM; echo > {tmp_path / 'ready'}; "
                                   f"while :; do {SLEEP} 1; done"])  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "ready").exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # the trap is installed
        cat = catalogue(processes=victim_policy(grace_seconds=0.5))
        action, params = cat.parse("kill_process", {"pid": stubborn})
        result = action.execute(params)
        assert result.ok and "killed with SIGKILL" in result.text
        assert gone(stubborn)
    finally:
        reap(stubborn)


def test_kill_process_refusals() -> None:
    victim = detached([SLEEP, "300"])
    try:
        cases = [
            (catalogue(), {"pid": 1}, "refusing to kill PID 1 (init)"),
            (catalogue(), {"pid": os.getpid()}, "that is opsbot itself"),
            (catalogue(), {"pid": os.getppid()}, PARENT_REFUSAL),
            (catalogue(processes=victim_policy(protected=["sleep"])), {"pid": victim},
             "sleep is a protected process"),
            (catalogue(processes=victim_policy()), {"pid": victim, "name": "postgres"},
             "the process changed"),
            (catalogue(), {"pid": 4_000_000}, "no process with PID 4000000 is running"),
            (catalogue(), {"pid": 0}, "bad params for kill_process"),
        ]  # fmt: skip
        if not AS_ROOT:  # as root the victim is root's: see test_kill_protection.py
            cases.append(
                (catalogue(processes={"users": ["nobody-else"]}), {"pid": victim},
                 "opsbot may only kill processes of nobody-else")
            )  # fmt: skip
        for cat, raw, message in cases:
            action = cat.get("kill_process")
            with pytest.raises(ToolError) as caught:
                action.dry_run(action.parse(raw))
            assert message in str(caught.value), (raw, str(caught.value))
        assert running(victim)  # still running after all of that
    finally:
        reap(victim)


def test_unknown_action_and_unavailable_delegates() -> None:
    cat = catalogue()
    with pytest.raises(
        ToolError, match="unknown remediation action 'format_disk'; allowed: restart_service"
    ):
        cat.get("format_disk")
    action = cat.get("set_model_alias")
    with pytest.raises(ToolError, match="set_model_alias is not available"):
        action.parse({"name": "m", "alias": "production"})
