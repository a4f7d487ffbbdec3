"""What a monitoring cycle reports (`CycleReport`), and the incident states.

The finding types monitors produce and the engine consumes (`Finding`, `MonitorRun`, the
severities, the fingerprint) live in `core.incidents`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.incidents import Finding, MonitorRun

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED)


@dataclass
class CycleReport:
    runs: list[MonitorRun] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    changes: list[tuple[int, str]] = field(default_factory=list)  # (incident id, what happened)

    @property
    def findings(self) -> list[Finding]:
        return [f for run in self.runs for f in run.findings]

    @property
    def checked(self) -> set[str]:
        return {run.name for run in self.runs if run.ok}

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "monitors": [
                {
                    "name": run.name,
                    "ok": run.ok,
                    "error": run.error,
                    "seconds": round(run.seconds, 3),
                    "findings": [
                        {
                            "alertname": f.alertname,
                            "title": f.title,
                            "severity": f.severity,
                            "labels": f.labels,
                            "fields": [list(pair) for pair in f.fields],
                        }
                        for f in run.findings
                    ],
                }
                for run in self.runs
            ],
            "incidents": [{"id": i, "change": c} for i, c in self.changes],
        }
