"""Triage's "what changed before it began?": the change log in the window before the onset,
ranked (tools/changes/rank.py), as one piece of evidence; the likely cause as a sentence; and,
when that change was an alias or label move, its revert as a suggested action (an approval
like any other, dry-run through the remediation catalogue's delegated rollbacks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.clock import utcnow
from tools.base import ToolError
from tools.changes.rank import WINDOW, entities, likely_cause, rank, revert_of
from tools.changes.store import Change, ChangeKind
from tools.changes.tools import change_line
from tools.redact import redact, redact_data
from tools.remediation.suggest import Suggestion, dry_run

if TYPE_CHECKING:
    from graphs.triage_types import Evidence, IncidentInput
    from tools.remediation.catalogue import RemediationCatalogue

log = logging.getLogger(__name__)

TOOL = "what_changed"
SHOWN = 5
# (since) -> the changes recorded at or after it, newest first
RecentChanges = Callable[[datetime], list[Change]]


def changes_evidence(recent: RecentChanges, incident: IncidentInput) -> Evidence:
    """The changes in the window before the incident began, most likely cause first."""
    from graphs.triage_types import Evidence

    onset = incident.started_at or utcnow()
    args = {"since": f"{int(WINDOW.total_seconds() // 3600)}h before the onset"}
    try:
        changes = recent(onset - WINDOW)
    except Exception as exc:  # evidence is best effort; say what failed
        log.warning("triage could not read the change log: %s", exc)
        return Evidence(TOOL, args, False, f"{type(exc).__name__}: {redact(str(exc))}")
    ranked = rank(changes, onset, entities(incident.labels, incident.title))
    cause = likely_cause(ranked)
    if not ranked:
        text = "No change recorded in the 2 hours before it began."
    else:
        lines = [f"- {change_line(r.change)} ({r.reason})" for r in ranked[:SHOWN]]
        more = len(ranked) - SHOWN
        text = "\n".join(
            [f"{len(ranked)} change(s) in the 2 hours before it began, likeliest first:", *lines]
            + ([f"- … and {more} more"] if more > 0 else [])
        )
    data = {
        "changes": [r.to_dict() for r in ranked[:SHOWN]],
        "likely_cause": cause.to_dict() if cause is not None else None,
        "revert": _revert(cause.change) if cause is not None else None,
    }
    return Evidence(TOOL, args, True, redact(text), redact_data(data))


def _revert(change: Change) -> dict[str, Any] | None:
    found = revert_of(change)
    return None if found is None else {"action": found[0], "params": found[1]}


def _rollback_script(
    catalogue: RemediationCatalogue, cause: dict[str, Any]
) -> dict[str, Any] | None:
    """The configured script that rolls back a deploy of the cause's target (`reverts:`)."""
    if cause.get("kind") != ChangeKind.DEPLOY.value:
        return None
    target = str(cause.get("target") or "").lower()
    for name, script in sorted(catalogue.config.scripts.items()):
        if target in {s.lower() for s in script.reverts}:
            return {"action": "run_script", "params": {"script": name}}
    return None


def cause_sentence(evidence: list[Evidence]) -> tuple[str | None, bool]:
    """(the likely-cause change as a sentence, or None; whether it changed what the incident
    is about)."""
    for item in evidence:
        if item.tool == TOOL and item.ok and isinstance(item.data, dict):
            cause = item.data.get("likely_cause")
            if cause:
                sentence = (
                    f"A change just before it began: {cause['summary']} "
                    f"({cause['kind']}, by {cause['who'] or 'unknown'}; {cause['reason']})."
                )
                return sentence, bool(cause.get("same_entity"))
    return None, False


def revert_suggestion(
    catalogue: RemediationCatalogue, evidence: list[Evidence]
) -> tuple[Suggestion | None, str | None]:
    """(the revert of the likely-cause change, dry-run; or why it was dropped)."""
    for item in evidence:
        if item.tool != TOOL or not isinstance(item.data, dict):
            continue
        revert, cause = item.data.get("revert"), item.data.get("likely_cause")
        if cause and not revert:
            revert = _rollback_script(catalogue, cause)
        if not revert or not cause:
            return None, None
        suggestion = Suggestion(
            revert["action"],
            dict(revert["params"]),
            f"revert the likely cause: {cause['summary']}",
        )
        try:
            dry_run(catalogue, suggestion)
        except ToolError as exc:
            return None, f"{suggestion.action} (revert): {exc}"
        return suggestion, None
    return None, None
