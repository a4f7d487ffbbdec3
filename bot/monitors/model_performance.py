"""Model performance drops, from the predictions and outcomes sent to opsbot (tools/modelperf).

At most every MODELPERF_CHECK_INTERVAL_SECONDS: between runs the monitor reports `NotDue`
("did not look"), which keeps its incidents as they are. When no prediction is stored it
looks no further (one cheap query). Otherwise, in `opsbot run`, the check runs in a short-lived
child (`opsbot models performance --check --json`, see bot/children.py) like the drift check:
scikit-learn and the fitted estimators never enter the server; the findings come back as
JSON. A finding is a `ModelPerformanceDrop` (tools/modelperf/findings.py): the latest window
of the live version is worse than its reference beyond the interval, realised, or estimated
while the outcomes are missing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.monitors.suite import NotDue
from core.incidents import Finding

if TYPE_CHECKING:
    from bot.children import ChildSettings

CHILD_TIMEOUT_SECONDS = 900.0

log = logging.getLogger(__name__)


class ModelPerformanceMonitor:
    name = "model_performance"
    what = "performance"  # in "next performance check in 300s"

    def __init__(
        self,
        has_predictions: Callable[[], bool],
        checks: Callable[[], list[Finding]],
        min_interval: float = 3600.0,
    ) -> None:
        self._has_predictions = has_predictions
        self._checks = checks
        self.min_interval = min_interval
        self._last: float | None = None

    def run(self, now: datetime) -> list[Finding]:
        if self._last is not None and time.monotonic() - self._last < self.min_interval:
            raise NotDue(
                f"next {self.what} check in "
                f"{self.min_interval - (time.monotonic() - self._last):.0f}s"
            )
        if not self._has_predictions():
            return []  # looked: nothing to judge; the interval starts with the first rows
        self._last = time.monotonic()
        return self._checks()


def checks_in_child(parent: ChildSettings, timeout: float = CHILD_TIMEOUT_SECONDS) -> list[Finding]:
    """Every model's performance check, run by `opsbot models performance --check --json` in
    a child process; its findings. ChildFailed or ValueError (a clear message) when the child
    fails or prints something else than a list of findings."""
    from tools.modelperf.findings import from_json

    rows = child_json(parent, "performance", timeout)
    if not isinstance(rows, list):
        raise ValueError(f"`opsbot models performance --check` printed no list: {rows!r:.200}")
    return [from_json(row) for row in rows]


def child_json(parent: ChildSettings, verb: str, timeout: float) -> Any:
    """What `opsbot models VERB --check --json` printed in a child process, decoded;
    ChildFailed when it fails, ValueError when it printed no JSON."""
    from bot.children import run_child

    out = run_child(parent, "models", verb, "--check", "--json", timeout=timeout)
    try:
        return json.loads(out)
    except ValueError:
        raise ValueError(f"`opsbot models {verb} --check` printed no JSON: {out[:200]!r}") from None
