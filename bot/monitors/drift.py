"""Model drift checks from the model registry (`tools.registry.checks`), as findings.

A drift check reads fresh data and computes statistics, so it runs at most every
`DRIFT_CHECK_INTERVAL_SECONDS`, not every monitor cycle. Between runs the monitor reports
`NotDue`: "did not look", which keeps its incidents as they are (not "all clear").

In `opsbot run` the checks run in a short-lived child (`opsbot models check --json`, see
bot/children.py): numpy, scipy and pandas (about 60 MiB) never enter the server through
the scheduler, and the findings come back as JSON. A chat question about drift
(`model_drift`) still runs in the server's process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.monitors.suite import NotDue
from core.incidents import Finding, normalise_severity

if TYPE_CHECKING:
    from bot.children import ChildSettings

CHILD_TIMEOUT_SECONDS = 900.0  # a check of every live model; killed after this


class DriftMonitor:
    name = "drift"

    def __init__(self, checks: Callable[[], list[Any]], min_interval: float = 3600.0) -> None:
        """`checks` runs every model's check once and returns the registry's findings
        (`tools.registry.checks.Finding`): `checks_in_child(runtime.child_settings())` in the server."""
        self._checks = checks
        self.min_interval = min_interval
        self._last: float | None = None

    def run(self, now: datetime) -> list[Finding]:
        if self._last is not None and time.monotonic() - self._last < self.min_interval:
            raise NotDue(
                f"next drift check in {self.min_interval - (time.monotonic() - self._last):.0f}s"
            )
        self._last = time.monotonic()
        return [adapt(item) for item in self._checks()]


def checks_in_child(parent: ChildSettings, timeout: float = CHILD_TIMEOUT_SECONDS) -> list[Any]:
    """Every model's drift check, run by `opsbot models check --json` in a child process
    with the server's settings; its findings. ChildFailed or ValueError (a clear message)
    when the child fails or prints something else than a list of findings."""
    from bot.children import run_child
    from tools.registry.checks import Finding as RegistryFinding

    out = run_child(parent, "models", "check", "--json", timeout=timeout)
    try:
        rows = json.loads(out)
    except ValueError:
        raise ValueError(f"`opsbot models check --json` printed no JSON: {out[:200]!r}") from None
    if not isinstance(rows, list):
        raise ValueError(f"`opsbot models check --json` printed no list: {out[:200]!r}")
    return [RegistryFinding.from_dict(row) for row in rows]


def adapt(item: Any) -> Finding:
    """A registry finding (kind, key, severity, title, summary, labels, evidence) as ours."""
    labels = {str(k): str(v) for k, v in (item.labels or {}).items()}
    alertname = labels.pop("alertname", "ModelDataDrift")
    identity = {k: labels[k] for k in ("model", "version") if labels.get(k)}
    fields = [(k, labels[k]) for k in ("model", "version", "alias") if labels.get(k)]
    summary = item.summary + (f"\n{item.evidence}" if item.evidence else "")
    return Finding(
        monitor="drift",
        alertname=alertname,
        title=item.title,
        severity=normalise_severity(item.severity),
        kind="model_drift",
        labels=identity,
        summary=summary,
        fields=fields,
        details={"report_id": labels.get("report_id"), "registry_kind": item.kind},
    )
