"""`opsbot demo` for incidents: a log directory with old files and a remediation allowlist
for it, so a newcomer can see the whole loop on their own machine:

    REMEDIATION_CONFIG=data/demo/remediation.yaml HOST_DISK_PCT=1 MONITOR_SUSTAIN_SAMPLES=1 \\
    CHECK_INTERVAL_SECONDS=10 opsbot run

opens a "disk full" incident with a suggested `clean_directory` of the demo logs; approving it
deletes them, and restarting without HOST_DISK_PCT resolves the incident. Idempotent: an
existing demo directory is left as it is.
"""

from __future__ import annotations

import os
import time
from typing import Any

DAYS_OLD = (9, 14, 30)


def seed_demo(runtime: Any) -> list[str]:
    root = runtime.data_dir / "demo"
    logs = root / "logs"
    config = root / "remediation.yaml"
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
    if config.exists():
        lines.append(f"incidents demo: {config} already present")
    else:
        config.write_text(
            "# Demo allowlist for the remediation catalogue (see .env.example REMEDIATION_CONFIG)\n"
            "clean_directories:\n"
            f"  - path: {logs}\n"
            "    patterns: ['*.log']\n"
            "    min_age_days: 7\n"
        )
        lines.append(f"incidents demo: wrote {config}")
    lines.append(
        f"  try: REMEDIATION_CONFIG={config} HOST_DISK_PCT=1 MONITOR_SUSTAIN_SAMPLES=1 "
        "CHECK_INTERVAL_SECONDS=10 opsbot run   (then approve the suggested clean_directory)"
    )
    return lines
