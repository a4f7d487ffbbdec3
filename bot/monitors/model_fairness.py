"""Fairness gaps of the models' live versions, by the sensitive features configured per model
(MODEL_FAIRNESS_FEATURES; the check itself: tools/modelperf/fairness_check.py).

At most every MODEL_FAIRNESS_CHECK_INTERVAL_SECONDS: between runs the monitor reports `NotDue`,
which keeps its incidents as they are. When no prediction is stored it looks no further. In
`opsbot run` the check runs in a short-lived child (`opsbot models fairness --check --json`,
bot/children.py) like the performance check, so fairlearn, pandas and scikit-learn stay out of
the server. A gap over threshold is a `ModelFairnessGap` finding per model and feature; it
resolves (after INCIDENT_AUTORESOLVE_CHECKS clear checks) once the gap is back under threshold.
A feature that cannot be judged (too few rows per group, no outcomes yet) is logged, not
alerted, and is not "all clear" either: the finding it had at the last judged check is
reported again, so its incident stays open until the feature can be judged. That memory is
kept in the process: after a restart such an incident clears.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.monitors.model_performance import ModelPerformanceMonitor, child_json
from core.incidents import Finding

if TYPE_CHECKING:
    from bot.children import ChildSettings
    from tools.modelperf.fairness_check import FairnessCheck, Unjudged

CHILD_TIMEOUT_SECONDS = 900.0

log = logging.getLogger(__name__)


class ModelFairnessMonitor(ModelPerformanceMonitor):
    """The performance monitor's schedule (NotDue between runs, nothing to do without
    predictions) around the fairness check."""

    name = "model_fairness"
    what = "fairness"

    def __init__(
        self,
        has_predictions: Callable[[], bool],
        checks: Callable[[], FairnessCheck],
        min_interval: float = 3600.0,
    ) -> None:
        super().__init__(has_predictions, self._judge, min_interval)
        self._fairness = checks
        self._firing: dict[tuple[str, str], Finding] = {}  # (model, feature) -> last finding
        self.unjudged: list[Unjudged] = []  # of the latest check

    def _judge(self) -> list[Finding]:
        result = self._fairness()
        self.unjudged = list(result.unjudged)
        for item in result.unjudged:
            log.info("fairness not judged: %s", item.text())
        firing = {(f.labels["model"], f.labels["feature"]): f for f in result.findings}
        held = {
            (u.model, u.feature): self._firing[(u.model, u.feature)]
            for u in result.unjudged
            if (u.model, u.feature) in self._firing
        }
        self._firing = held | firing
        return list(self._firing.values())


def checks_in_child(parent: ChildSettings, timeout: float = CHILD_TIMEOUT_SECONDS) -> FairnessCheck:
    """The fairness check of every configured model, run by `opsbot models fairness --check
    --json` in a child process. ChildFailed or ValueError (a clear message) when the child
    fails or prints something else than a check."""
    from tools.modelperf.fairness_check import FairnessCheck

    return FairnessCheck.from_json(child_json(parent, "fairness", timeout))
