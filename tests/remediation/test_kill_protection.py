"""kill_process never signals opsbot's own tree, another opsbot, other users' processes,
root's processes (unless named) or configured ones: each is refused in the dry run, so it
never becomes a pending approval, and again at execution. Real processes; the test process
plays opsbot."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.remediation.kill_helpers import (
    AS_ROOT,
    SH,
    SLEEP,
    child,
    detached,
    fake_opsbot,
    gone,
    reap,
    running,
    started,
    victim_policy,
)
from tools.base import ToolError
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.config import parse_config
from tools.remediation.protect import is_opsbot
from tools.remediation.tools import build_remediation_tools

# a parent that is init (pytest started by nohup or in a container as PID 1's child) is refused
# as init, before the parent check is reached
PARENT_REFUSAL = "PID 1 (init)" if os.getppid() == 1 else "that is opsbot's parent process"


def kill_action(**processes: object):  # type: ignore[no-untyped-def]
    cat = RemediationCatalogue(parse_config({"processes": processes}, "test"))
    return cat.get("kill_process")


def refused(action, pid: int, message: str) -> None:  # type: ignore[no-untyped-def]
    params = action.parse({"pid": pid})
    for step in (action.dry_run, action.execute):
        with pytest.raises(ToolError) as caught:
            step(params)
        assert message in str(caught.value), (pid, str(caught.value))


def test_opsbots_own_tree_is_never_killed() -> None:
    code = f"import subprocess, time\nsubprocess.Popen([{SLEEP!r}, '300'])\ntime.sleep(300)"
    worker = child([sys.executable, "-c", code])  # like the runbook-index child
    try:
        deadline = time.monotonic() + 10
        while not psutil.Process(worker.pid).children() and time.monotonic() < deadline:
            time.sleep(0.05)
        (grandchild,) = psutil.Process(worker.pid).children()
        started(grandchild.pid, SLEEP)
        everything = ["sleep", "sh", "python", "python3", "python3.11", "pytest", "bash"]
        action = kill_action(**victim_policy(root_allowed=everything))
        refused(action, os.getpid(), "that is opsbot itself")
        refused(action, os.getppid(), PARENT_REFUSAL)
        ancestors = [p.pid for p in psutil.Process().parents() if p.pid != 1]
        for pid in ancestors[1:]:
            refused(action, pid, "it is an ancestor of opsbot")
        refused(action, worker.pid, "it is opsbot's own child process")
        refused(action, grandchild.pid, "it is opsbot's own child process")
        assert running(worker.pid) and running(grandchild.pid)
    finally:
        reap(*[p.pid for p in psutil.Process(worker.pid).children(recursive=True)])
        worker.kill()
        worker.wait()


def test_another_running_opsbot_and_its_children_are_never_killed(tmp_path: Path) -> None:
    program = fake_opsbot(tmp_path)
    other = detached([program, "300"])  # e.g. `opsbot run` while a terminal approves
    helper = detached([SH, "-c", f"{SLEEP} 300 & wait"])
    try:
        action = kill_action(**victim_policy(root_allowed=["sleep", "sh", "opsbot"]))
        refused(action, other, "it is another running opsbot process")
        assert is_opsbot([sys.executable, "/venv/bin/opsbot", "run"])
        assert is_opsbot([sys.executable, "-m", "bot", "run"])
        assert not is_opsbot([SLEEP, "300"])
        assert running(other)
        # a process outside every opsbot tree is not refused for that reason
        assert "Would send SIGTERM" in action.dry_run(action.parse({"pid": helper}))
    finally:
        reap(other, helper)


@pytest.mark.skipif(not AS_ROOT, reason="starting another user's process needs root")
def test_other_users_processes_need_the_user_listed() -> None:
    victim = detached([SLEEP, "300"], user="nobody")
    try:
        refused(kill_action(), victim, "it belongs to nobody; opsbot may only kill processes of")
        action = kill_action(users=["nobody"])
        result = action.execute(action.parse({"pid": victim}))
        assert result.ok and gone(victim)
    finally:
        reap(victim)


def root_process_outside_the_tree() -> int:
    """A root-owned process that is not ours to start: the first one not in our tree."""
    mine = {p.pid for p in psutil.Process().parents()} | {os.getpid()}
    for proc in psutil.process_iter(["pid", "uids", "cmdline", "ppid"]):
        info = proc.info
        if info["pid"] in mine or info["pid"] == 1 or not info["cmdline"]:
            continue
        if info["uids"] and info["uids"].real == 0:
            return int(info["pid"])
    pytest.skip("no root-owned process outside this test's tree")


def test_root_processes_are_refused_unless_named() -> None:
    if not AS_ROOT:
        pid = root_process_outside_the_tree()
        refused(kill_action(users=["root"]), pid, "it runs as root")
        return
    victim = detached([SLEEP, "300"])  # root-owned: opsbot runs as root here
    try:
        # the user opsbot runs as (root) is allowed by default, and root may even be listed:
        # still refused until the process is named
        refused(kill_action(), victim, "it runs as root; opsbot kills a root process only when")
        refused(kill_action(users=["root"]), victim, "processes.root_allowed")
        action = kill_action(root_allowed=["sleep"])
        assert action.dry_run(action.parse({"pid": victim})).startswith("Would send SIGTERM")
        assert action.execute(action.parse({"pid": victim})).ok and gone(victim)
    finally:
        reap(victim)


def test_protected_patterns_match_the_command_line() -> None:
    victim = detached([SLEEP, "301"])
    try:
        action = kill_action(**victim_policy(protected_patterns=["*sleep 301*"]))
        refused(action, victim, "matches the protected pattern '*sleep 301*'")
        assert running(victim)
    finally:
        reap(victim)


def test_a_refusal_never_becomes_a_pending_approval() -> None:
    """The gated tool's preview is the dry run: it raises, so no approval can be created."""
    (tool,) = build_remediation_tools(RemediationCatalogue(parse_config({}, "test")))
    args = tool.args.model_validate({"action": "kill_process", "params": {"pid": os.getppid()}})
    assert tool.preview is not None
    with pytest.raises(ToolError, match=re.escape(PARENT_REFUSAL)):
        tool.preview(args)
    assert running(os.getppid())


def test_a_process_that_became_protected_after_the_dry_run_is_refused_at_execution(
    tmp_path: Path,
) -> None:
    trigger = tmp_path / "go"
    program = fake_opsbot(tmp_path)
    victim = detached([SH, "-c", f"while [ ! -e {trigger} ]; do {SLEEP} 0.05; done; "
                                 f"exec {program} 300"])  # fmt: skip
    try:
        action = kill_action(**victim_policy(root_allowed=["sleep", "sh", "opsbot"]))
        params = action.parse({"pid": victim})
        assert "Would send SIGTERM" in action.dry_run(params)  # the approver sees this
        trigger.touch()  # while the approval waits, the PID turns into an opsbot
        deadline = time.monotonic() + 10
        while psutil.Process(victim).cmdline()[:1] != [program] and time.monotonic() < deadline:
            time.sleep(0.02)
        with pytest.raises(ToolError, match="it is another running opsbot process"):
            action.execute(params)
        assert running(victim)
    finally:
        reap(victim)
