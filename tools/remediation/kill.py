"""kill_process: SIGTERM, then SIGKILL after a grace period, for one unprotected process.

Refused, in the dry run (so it never becomes a pending approval) and again when the action
runs: PID 1; opsbot's own process tree and every other opsbot process (tools.remediation.
protect); kernel threads; the built-in and configured protected names; processes whose
command line matches a configured protected pattern; root-owned processes unless their name
is in `processes.root_allowed`; and processes of users not listed in `processes.users`
(default: only the user opsbot runs as). An optional `name` guards against PID reuse while
the approval waited: when it is given, the process must still have that name when the
action runs.
"""

from __future__ import annotations

import fnmatch
import os
import time

import psutil
from pydantic import BaseModel, Field

from core.access import Risk
from tools.base import ToolError, ToolResult
from tools.format import human_bytes, human_duration
from tools.redact import redact
from tools.remediation.catalogue import Action
from tools.remediation.config import RemediationConfig
from tools.remediation.protect import protected_tree


class KillParams(BaseModel):
    pid: int = Field(..., ge=1, le=4_194_304, description="Process id")
    name: str | None = Field(
        None, max_length=200, description="Expected process name (refuses if it changed)"
    )


def _dead(proc: psutil.Process) -> bool:
    """Exited (a zombie waiting for its parent to reap it counts as exited)."""
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait(proc: psutil.Process, timeout: float) -> list[psutil.Process]:
    """Wait until the process exits (or turns zombie); the still-running ones."""
    deadline = time.monotonic() + timeout
    while True:
        _gone, alive = psutil.wait_procs([proc], timeout=min(0.2, timeout))
        alive = [p for p in alive if not _dead(p)]
        if not alive or time.monotonic() >= deadline:
            return alive


class KillProcessAction(Action):
    name = "kill_process"
    params = KillParams

    def __init__(self, config: RemediationConfig) -> None:
        self.config = config
        users = ", ".join(sorted(config.kill_users()))
        self.summary = (
            "kill_process(pid, name=None): SIGTERM then SIGKILL after "
            f"{config.processes.grace_seconds:g}s; only processes of {users} (root's only when "
            "named), never opsbot's own or protected ones"
        )

    def risk(self, params: KillParams) -> Risk:
        return Risk.HIGH

    def _process(self, params: KillParams) -> psutil.Process:
        pid = params.pid
        if pid == 1:
            raise ToolError("refusing to kill PID 1 (init): that would take the host down")
        tree = protected_tree()
        if pid in tree:
            raise ToolError(f"refusing to kill PID {pid}: {tree[pid]}")
        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                name = proc.name()
                user = proc.username()
                uids = proc.uids()
                ppid = proc.ppid()
                cmdline = proc.cmdline()
        except psutil.NoSuchProcess:
            raise ToolError(f"no process with PID {pid} is running") from None
        except psutil.AccessDenied:
            raise ToolError(f"opsbot may not inspect PID {pid} (access denied)") from None
        if ppid in (0, 2) and not cmdline:
            raise ToolError(f"refusing to kill PID {pid} ({name}): it is a kernel thread")
        program = os.path.basename(cmdline[0]) if cmdline else name
        protected = self.config.protected_names()
        hit = {name, program} & protected
        if hit:
            raise ToolError(
                f"refusing to kill PID {pid} ({name}): {sorted(hit)[0]} is a protected process"
            )
        command = " ".join(cmdline)
        policy = self.config.processes
        matched = [p for p in policy.protected_patterns if fnmatch.fnmatchcase(command, p)]
        if matched:
            raise ToolError(
                f"refusing to kill PID {pid} ({name}): its command line matches the protected "
                f"pattern {matched[0]!r} (processes.protected_patterns in REMEDIATION_CONFIG)"
            )
        if 0 in (uids.real, uids.effective):
            if not {name, program} & set(policy.root_allowed):
                raise ToolError(
                    f"refusing to kill PID {pid} ({name}): it runs as root; opsbot kills a "
                    "root process only when its name is listed in processes.root_allowed in "
                    "REMEDIATION_CONFIG"
                )
        elif user not in (users := self.config.kill_users()):
            raise ToolError(
                f"refusing to kill PID {pid} ({name}): it belongs to {user}; opsbot may only "
                f"kill processes of {', '.join(sorted(users))} (processes.users in REMEDIATION_CONFIG)"
            )
        if params.name is not None and params.name not in (name, program):
            raise ToolError(
                f"PID {pid} is now {name!r}, not {params.name!r}: the process changed, "
                "so nothing was done"
            )
        return proc

    def dry_run(self, params: KillParams) -> str:
        proc = self._process(params)
        with proc.oneshot():
            name = proc.name()
            user = proc.username()
            age = human_duration(time.time() - proc.create_time())
            rss = human_bytes(proc.memory_info().rss)
            command = redact(" ".join(proc.cmdline()))[:200]
        grace = self.config.processes.grace_seconds
        return (
            f"Would send SIGTERM to PID {params.pid} ({name}, user {user}, running {age}, "
            f"{rss} resident), then SIGKILL if it is still running after {grace:g}s.\n"
            f"command: {command}"
        )

    def execute(self, params: KillParams) -> ToolResult:
        proc = self._process(params)
        name = proc.name()
        started = proc.create_time()
        grace = self.config.processes.grace_seconds
        try:
            proc.terminate()
            alive = _wait(proc, grace)
            signal_used = "SIGTERM"
            if alive:
                proc.kill()
                alive = _wait(proc, 5.0)
                signal_used = "SIGKILL"
        except psutil.NoSuchProcess:
            alive, signal_used = [], "SIGTERM"
        except psutil.AccessDenied:
            raise ToolError(f"opsbot is not allowed to signal PID {params.pid} ({name})") from None
        data = {"pid": params.pid, "name": name, "create_time": started, "signal": signal_used}
        if alive:
            return ToolResult(
                text=f"PID {params.pid} ({name}) is still running after SIGKILL.",
                data=data,
                ok=False,
            )
        how = "exited after SIGTERM" if signal_used == "SIGTERM" else "was killed with SIGKILL"
        return ToolResult(text=f"PID {params.pid} ({name}) {how}.", data=data)

    def verify(self, params: KillParams, result: ToolResult) -> str:
        data = result.data if isinstance(result.data, dict) else {}
        try:
            proc = psutil.Process(params.pid)
            same = abs(proc.create_time() - float(data.get("create_time", 0))) < 0.01
        except psutil.NoSuchProcess:
            return f"it worked: PID {params.pid} is gone"
        if same and proc.status() != psutil.STATUS_ZOMBIE:
            return f"PID {params.pid} is still running"
        return f"it worked: PID {params.pid} is gone (the number now belongs to another process)"
