"""`opsbot demo` for incidents: the incident tour, a real outage and its approved fix.

The demo sets up `demo-web`, a small web service on 127.0.0.1 (`bot/incidents/demo_service.py`)
that is not running, and a remediation allowlist whose `restart_service demo-web` starts it.
Running opsbot with that endpoint configured (the printed command) opens an `EndpointDown`
incident with a suggested restart; approving it starts the service, its check passes, the
endpoint monitor sees it answer, and the incident resolves by itself after
INCIDENT_AUTORESOLVE_CHECKS clean checks. Every step is the real monitor, triage, approval
and action; nothing is simulated. The allowlist also lets `clean_directory` delete the demo's
old log files (for questions like "clean the demo logs").

Idempotent: existing demo logs are left as they are, the allowlist is rewritten only when it
differs, and the service's port, once chosen, is kept.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

DAYS_OLD = (9, 14, 30)
SERVICE = "demo-web"
CHECK_INTERVAL = 5
AUTORESOLVE_CHECKS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port(root: Path) -> int:
    saved = root / "demo-web.port"
    if saved.exists():
        text = saved.read_text().strip()
        if text.isdigit() and 0 < int(text) < 65536:
            return int(text)
    port = _free_port()
    saved.write_text(f"{port}\n")
    return port


def service_argv(command: str, port: int, pidfile: Path) -> list[str]:
    argv = [sys.executable, "-m", "bot.incidents.demo_service", command, "--port", str(port)]
    return argv + (["--pidfile", str(pidfile)] if command != "check" else [])


def _yaml_list(argv: list[str]) -> str:
    return "[" + ", ".join(f"'{part}'" for part in argv) + "]"


def allowlist(logs: Path, port: int, pidfile: Path) -> str:
    return (
        "# Demo allowlist for the remediation catalogue (see .env.example REMEDIATION_CONFIG),\n"
        "# written by `opsbot demo`.\n"
        "services:\n"
        f"  {SERVICE}:\n"
        f"    restart: {_yaml_list(service_argv('start', port, pidfile))}\n"
        f"    check: {_yaml_list(service_argv('check', port, pidfile))}\n"
        "    timeout_seconds: 30\n"
        "    risk: low\n"
        "    alerts: [EndpointDown]\n"
        f"    endpoints: [{SERVICE}]\n"
        "clean_directories:\n"
        f"  - path: {logs}\n"
        "    patterns: ['*.log']\n"
        "    min_age_days: 7\n"
    )


def tour_lines(config: Path, port: int) -> list[str]:
    """The incident tour as printed: each command on its own line after `$ `, to be run from
    the project directory (tests/incidents/test_demo_tour.py runs them exactly so)."""
    env = (
        f"ENDPOINTS={SERVICE}=http://127.0.0.1:{port}/healthz REMEDIATION_CONFIG={config} "
        f"CHECK_INTERVAL_SECONDS={CHECK_INTERVAL} MONITOR_SUSTAIN_SAMPLES=1 "
        f"INCIDENT_AUTORESOLVE_CHECKS={AUTORESOLVE_CHECKS}"
    )
    return [
        f"Incident tour: a real outage and its approved fix. The demo web service {SERVICE} "
        f"(http://127.0.0.1:{port}/healthz) is not running, so its endpoint is down.",
        "  1. Start opsbot watching it, from this directory, and leave it running:",
        f"     $ {env} ./run.sh run",
        f"     Within about {2 * CHECK_INTERVAL} s it prints INCIDENT #N [OPEN · critical] "
        f"{SERVICE} is down, with a suggested restart_service and its approval id (▸ ap-…).",
        "  2. Approve it from a second terminal, in this directory (the action runs where it is "
        "approved, so it needs the same allowlist; or type `approve ap-…` at the you> prompt):",
        f"     $ REMEDIATION_CONFIG={config} ./run.sh approve ap-…",
        f"     The restart starts {SERVICE} and its check passes; after "
        f"{AUTORESOLVE_CHECKS} clean checks the incident is RESOLVED in the first terminal.",
        "  3. When done, stop opsbot (Ctrl-C) and the demo service:",
        "     $ ./run.sh demo --stop-service",
    ]


def paths(data_dir: Path) -> tuple[Path, Path, Path, Path]:
    root = data_dir / "demo"
    return root, root / "logs", root / "remediation.yaml", root / "demo-web.pid"


def seed_demo(data_dir: Path) -> list[str]:
    """`opsbot demo` seeder of the incidents tour, under `data_dir`/demo."""
    root, logs, config, pidfile = paths(data_dir)
    lines: list[str] = []
    if logs.exists():
        lines.append(f"incidents demo: {logs} already present")
    else:
        logs.mkdir(parents=True)
        for days in DAYS_OLD:
            path = logs / f"app-{days}d.log"
            path.write_text(f"demo log line written {days} days ago\n" * 5000)
            stamp = time.time() - days * 86400
            os.utime(path, (stamp, stamp))
        (logs / "app-today.log").write_text("today's log (too young to clean)\n")
        lines.append(f"incidents demo: created {logs} with {len(DAYS_OLD)} old log files")
    port = _port(root)
    wanted = allowlist(logs, port, pidfile)
    if config.exists() and config.read_text() == wanted:
        lines.append(f"incidents demo: {config} already present")
    else:
        config.write_text(wanted)
        lines.append(f"incidents demo: wrote {config} (restart {SERVICE}, clean the demo logs)")
    lines.extend(tour_lines(config, port))
    return lines


def stop_service(data_dir: Path) -> int:
    """`opsbot demo --stop-service`: stop the demo web service if it runs."""
    from bot.incidents.demo_service import stop

    _, _, _, pidfile = paths(data_dir)
    return stop(pidfile)
