"""Processes kill_process must never signal, whatever the configuration says: opsbot's own
process tree (every ancestor up to init, opsbot itself, every descendant such as the
runbook-index child, workers and running actions) and every other running opsbot process
(an `opsbot run` while a terminal approves, a second replica) with its descendants.

Found fresh on every call: the tree changes while an approval waits.
"""

from __future__ import annotations

import os

import psutil

OPSBOT_PROGRAMS = {"opsbot"}
OPSBOT_MODULES = {"bot", "bot.cli"}


def is_opsbot(cmdline: list[str]) -> bool:
    """`opsbot ...`, `python .../opsbot ...` or `python -m bot.cli ...`."""
    head = [os.path.basename(part) for part in cmdline[:2]]
    if OPSBOT_PROGRAMS & set(head):
        return True
    return len(cmdline) >= 3 and cmdline[1] == "-m" and cmdline[2] in OPSBOT_MODULES


def _descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def protected_tree(me: int | None = None) -> dict[int, str]:
    """PID -> why it is protected, for opsbot's tree and every other opsbot process's."""
    me = os.getpid() if me is None else me
    reasons: dict[int, str] = {me: "that is opsbot itself"}
    try:
        own = psutil.Process(me)
    except psutil.NoSuchProcess:  # cannot happen for ourselves; keep the type checker calm
        return reasons
    for depth, ancestor in enumerate(own.parents()):
        reasons.setdefault(
            ancestor.pid,
            "that is opsbot's parent process"
            if depth == 0
            else "it is an ancestor of opsbot (opsbot runs under it)",
        )
    for child in _descendants(own):
        reasons.setdefault(child.pid, "it is opsbot's own child process (or one of theirs)")
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.pid in reasons or not is_opsbot(cmdline):
            continue
        reasons[proc.pid] = "it is another running opsbot process"
        for child in _descendants(proc):
            reasons.setdefault(child.pid, "it is a child of another running opsbot process")
    return reasons
