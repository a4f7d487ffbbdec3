"""Run an operator-configured argv with a timeout that holds even if opsbot dies.

The command is started by a supervisor process of its own session (`supervisor.py`), which
runs it in a further session (`process_tree.run_tree`), enforces its timeout and stops its whole
tree, and hands the outcome back as JSON. So a `kill -9` of opsbot mid-action leaves no
orphan: the supervisor still stops the command at its timeout (the approval then ends
"outcome unknown", see `bot/approvals/recovery.py`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tools.base import ToolResult
from tools.redact import redact
from tools.remediation.process_tree import (
    DRAIN_SECONDS,
    KILL_GRACE_SECONDS,
    CommandOutcome,
    spawn,
    stop_tree,
)

# beyond the command's own timeout, grace and drain: the supervisor's start and its report
SUPERVISOR_MARGIN_SECONDS = 15.0


def supervisor_argv(argv: list[str], timeout: float, grace: float) -> list[str]:
    """The supervisor's command line. `-P`: the working directory (the operator's, inherited
    by the command) is not put on the import path, so nothing there can stand in for ours."""
    spec = json.dumps({"argv": list(argv), "timeout": timeout, "grace": grace})
    return [sys.executable, "-P", "-m", "tools.remediation.supervisor", spec]


def outcome_of(argv: list[str], returncode: int, out: str, err: str) -> CommandOutcome:
    """The command's outcome from the supervisor's report, or what went wrong with it."""
    try:
        report = json.loads(out)
        return CommandOutcome(**report)
    except (ValueError, TypeError) as exc:
        why = err.strip().splitlines()[-1] if err.strip() else f"{type(exc).__name__}: {exc}"
        return CommandOutcome(
            list(argv), None, "", "", 0.0, error=f"its supervisor failed (exit {returncode}): {why}"
        )


def run_argv(argv: list[str], timeout: float, grace: float = KILL_GRACE_SECONDS) -> CommandOutcome:
    """Run `argv` for at most `timeout` seconds under a supervisor (see the module's doc)."""
    started = time.monotonic()
    proc = spawn(supervisor_argv(argv, timeout, grace))
    limit = timeout + grace + DRAIN_SECONDS + SUPERVISOR_MARGIN_SECONDS
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:  # the supervisor hangs: stop it and the command's tree
        stop_tree(proc, grace)
        proc.communicate()
        return CommandOutcome(
            list(argv),
            None,
            "",
            "",
            time.monotonic() - started,
            timed_out=True,
            error=f"its supervisor did not report within {limit:.0f}s; it and the command "
            "were stopped",
        )
    except BaseException:  # interrupted: the supervisor stops the command's tree on SIGTERM
        stop_tree(proc, grace)
        raise
    return outcome_of(argv, proc.returncode, out, err)


def command_result(outcome: CommandOutcome, **subject: str) -> ToolResult:
    """A configured command's result: `subject` (e.g. service="web") and how it ended."""
    data = {
        **subject,
        "exit_code": outcome.exit_code,
        "seconds": round(outcome.seconds, 2),
        "timed_out": outcome.timed_out,
    }
    return ToolResult(text=redact(outcome.describe()), data=data, ok=outcome.ok)
