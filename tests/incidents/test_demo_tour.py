"""`opsbot demo`'s incident tour, run exactly as printed (issue 11, item 13).

`./run.sh demo` prints the tour's commands after `$ `; this test runs them in order, in
subprocesses from the project directory, as a newcomer would paste them: `./run.sh run`
with the printed settings opens an EndpointDown incident for the (really stopped) demo web
service with a suggested restart_service, `./run.sh approve ap-…` (with the id it printed)
starts the service, the endpoint answers, and the running opsbot resolves the incident by
itself; `./run.sh demo --stop-service` stops the service again. Only OPSBOT_DATA_DIR and PORT
come from the test (a temporary directory, a free port), so it does not touch ./data or
collide with other servers.
"""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path

import pytest

from bot.incidents.demo_service import answers
from tests.bot_process import REPO, OpsbotRun, clean_env, free_port

pytestmark = pytest.mark.slow


class ShellCommand(OpsbotRun):
    """A printed command line run by bash in the project directory, its output collected
    like `OpsbotRun`'s (so `wait_for` and `stop` work on it)."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.cwd = REPO
        self.env = env
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        for stream, sink in ((self.proc.stdout, self.lines), (self.proc.stderr, self.errors)):
            threading.Thread(target=self._read, args=(stream, sink), daemon=True).start()


def shell(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_incident_tour_works_exactly_as_printed(tmp_path: Path) -> None:
    env = clean_env(
        OPSBOT_DATA_DIR=str(tmp_path / "data"), PORT=str(free_port()), PYTHONUNBUFFERED="1"
    )
    demo = shell("./run.sh demo", env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    commands = [
        line.strip()[2:] for line in demo.stdout.splitlines() if line.strip().startswith("$ ")
    ]
    assert len(commands) == 3, demo.stdout
    start, approve, stop = commands
    assert start.endswith(" ./run.sh run") and approve.endswith(" ./run.sh approve ap-…")
    assert stop == "./run.sh demo --stop-service"
    port = int(re.search(r"ENDPOINTS=demo-web=http://127\.0\.0\.1:(\d+)/healthz", start)[1])  # type: ignore[index]
    assert not answers(port)  # the demo service is really down

    run = ShellCommand(start, env)
    try:
        opened = run.wait_for(r"INCIDENT #(\d+) \[OPEN · critical\] demo-web is down", 120)
        number = opened.group(1)
        action = run.wait_for(r"▸ (ap-[0-9a-f]{12}) restart_service \{'service': 'demo-web'\}", 60)
        approval = action.group(1)
        assert "Would restart demo-web by running" in run.output()
        assert not answers(port)  # nothing ran before the approval

        approved = shell(approve.replace("ap-…", approval), env)
        assert approved.returncode == 0, approved.stdout + approved.stderr
        assert f"{approval}: approved by" in approved.stdout
        assert "executed:" in approved.stdout
        assert answers(port)  # the approved restart really started the service

        run.wait_for(rf"#{number} › ✅ restart_service\(service='demo-web'\).*ran", 60)
        run.wait_for(rf"#{number}   Verification: it worked", 30)
        run.wait_for(rf"INCIDENT #{number} \[RESOLVED · critical\] demo-web is down", 60)
        run.wait_for(
            rf"#{number} › Resolved automatically: the condition cleared for 2 consecutive checks",
            30,
        )
        assert run.stop() == 0
    finally:
        run.kill()
        stopped = shell(stop, env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "demo-web stopped" in stopped.stdout
    assert not answers(port)


def test_the_demo_service_stops_on_sigterm(tmp_path: Path) -> None:
    """`stop` really ends the service (its SIGTERM handler once waited on itself forever, so
    `stop` said "stopped" while the process lived on)."""
    import subprocess
    import sys

    import psutil

    from tests.bot_process import free_port

    pidfile = tmp_path / "demo-web.pid"
    base = [sys.executable, "-m", "bot.incidents.demo_service"]
    port = str(free_port())
    started = subprocess.run(
        [*base, "start", "--port", port, "--pidfile", str(pidfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 0, started.stderr
    pid = int(pidfile.read_text())
    stopped = subprocess.run(
        [*base, "stop", "--pidfile", str(pidfile)], capture_output=True, text=True, timeout=60
    )
    assert stopped.returncode == 0, stopped.stderr
    assert f"demo-web stopped (pid {pid})" in stopped.stdout
    try:
        proc = psutil.Process(pid)
        proc.wait(10)
    except psutil.NoSuchProcess:
        pass
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
