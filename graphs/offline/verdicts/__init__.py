"""One verdict per tool call, by tool kind (see `base.Verdict`)."""

from __future__ import annotations

from collections.abc import Callable

from graphs.offline.verdicts import drift, infra, models, runbooks
from graphs.offline.verdicts.base import Outcome, Verdict, failed, plain

VerdictFn = Callable[[Outcome, str], Verdict]

VERDICTS: dict[str, VerdictFn] = {
    "host_health": infra.host,
    "top_processes": infra.processes,
    "disk_usage": infra.disk,
    "check_endpoint": infra.endpoints,
    "query_metrics": infra.metrics,
    "list_models": models.models,
    "model_status": models.status,
    "model_drift": drift.drift,
    "search_runbooks": runbooks.runbooks,
}


def verdict_of(outcome: Outcome, question: str = "") -> Verdict:
    """The verdict on one tool call; `question` is the person's message (a TLS question
    about a plain-http endpoint is answered differently from a health question)."""
    if not outcome.ok:
        return failed(outcome)
    return VERDICTS.get(outcome.name, plain)(outcome, question)


__all__ = ["VERDICTS", "Outcome", "Verdict", "verdict_of"]
