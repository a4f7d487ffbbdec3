"""LLM regressions: after a prompt label move or a model change, the calls since are compared
with the calls before (tools/llmops/watch.py, the statistics in tools/llmops/regression.py).
A figure that got significantly and materially worse opens one `LLMRegression` incident per
prompt, label and change; triage names the move as the likely cause and suggests moving the
label back (graphs/triage_changes.py). The finding goes away, and the incident resolves after
the usual clear checks, when the label moves again (the new move is watched instead) or the
recent calls are no longer worse. A change with too few calls on a side is not alerted; its
reason is kept in `last` and shown by `llm_regressions` / `opsbot llm regressions`.

Registered by bot/incidents/wiring.py only while OTLP intake is on (OTLP_TOKEN)."""

from __future__ import annotations

import logging
from datetime import datetime

from core.clock import iso
from core.incidents import CRITICAL, WARNING, Finding
from tools.llmops.watch import Check, RegressionWatch

log = logging.getLogger(__name__)
ALERTNAME = "LLMRegression"


class LlmRegressionMonitor:
    name = "llm_regression"

    def __init__(self, watch: RegressionWatch) -> None:
        self.watch = watch
        self.last: list[Check] = []

    def run(self, now: datetime) -> list[Finding]:
        checks = self.watch.run(now)
        self.last = checks
        for check in checks:
            if check.comparison.skipped:
                log.debug("%s not compared: %s", check.move.describe(), check.comparison.skipped)
        minutes = self.watch.config.window.total_seconds() / 60
        return [finding(c, minutes) for c in checks if c.comparison.regressed]


def _labels(check: Check) -> dict[str, str]:
    move = check.move
    labels = {"prompt": move.prompt, "label": move.label}
    if move.version is not None:
        labels["version"] = str(move.version)
    if move.previous_version is not None:
        labels["previous_version"] = str(move.previous_version)
    if move.kind == "model":
        labels |= {"model": move.model, "previous_model": move.previous_model}
    else:  # one incident per move: the same versions moved again are another move
        labels["change"] = str(move.change_id)
    return labels


def finding(check: Check, window_minutes: float) -> Finding:
    move, comparison = check.move, check.comparison
    worse = comparison.regressed
    errors = next((f for f in worse if f.name == "error_rate"), None)
    severity = CRITICAL if errors is not None and errors.after >= 0.5 else WARNING
    headline = "; ".join(f.line().removesuffix(" — REGRESSED") for f in worse)
    title = f"{move.prompt} ({move.label}) got worse after {move.describe()}: {headline}"
    when = iso(move.at)
    cause = (
        f"the label {move.label} moved from {_v(move.previous_version)} to {_v(move.version)} "
        f"at {when}"
        if move.kind == "label"
        else f"calls switched from the model {move.previous_model} to {move.model} at {when}"
    )
    summary = (
        f"The LLM calls using the prompt {move.prompt} ({move.label}) are worse since {cause}: "
        f"{comparison.after_calls} calls since, compared with {comparison.before_calls} in the "
        f"{window_minutes:.0f} minutes before. Each figure is a one-sided test at the configured level "
        "(LLM_REGRESSION_ALPHA) with a minimum effect."
    )
    fields = [
        ("change", move.describe()),
        ("at", when or ""),
        ("calls", f"{comparison.before_calls} before, {comparison.after_calls} after"),
        *((f.name, f.line()) for f in comparison.figures),
    ]
    return Finding(
        monitor=LlmRegressionMonitor.name,
        alertname=ALERTNAME,
        title=title[:300],
        severity=severity,
        kind="llm",
        labels=_labels(check),
        summary=summary,
        fields=fields,
        details={"regression": check.to_dict()},
    )


def _v(version: int | None) -> str:
    return "(unset)" if version is None else f"v{version}"
