"""The supervisor of one configured command: `python -P -m tools.remediation.supervisor SPEC`.

SPEC is JSON: {"argv": [...], "timeout": seconds, "grace": seconds}. It runs the command in a
session of its own (`process_tree.run_tree`), stops its whole tree at the timeout, and prints
the outcome as one JSON object on stdout (read by `runner.outcome_of`). It lives in its own
session too, so it outlives a `kill -9` of opsbot and still enforces the timeout; its report
then has nobody to read it, which it ignores. SIGTERM stops the command's tree, then it exits.
"""

from __future__ import annotations

import json
import signal
import sys
from dataclasses import asdict
from types import FrameType

from tools.remediation.process_tree import KILL_GRACE_SECONDS, run_tree


class _Stopped(Exception):
    """SIGTERM arrived: stop the command's tree and exit."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


def main(args: list[str]) -> int:
    try:
        spec = json.loads(args[0])
        argv = [str(part) for part in spec["argv"]]
        timeout = float(spec["timeout"])
        grace = float(spec.get("grace", KILL_GRACE_SECONDS))
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        print(f"supervisor: bad spec: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not argv:
        print("supervisor: bad spec: empty argv", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    try:
        outcome = run_tree(argv, timeout, grace)
    except _Stopped:
        print("supervisor: stopped by SIGTERM; the command's tree was stopped", file=sys.stderr)
        return 143
    try:
        sys.stdout.write(json.dumps(asdict(outcome)))
        sys.stdout.flush()
    except BrokenPipeError:  # opsbot died while the command ran: nobody to tell
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
