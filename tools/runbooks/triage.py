"""Runbooks for an incident: the alert's own runbook first, then the best text matches.

`runbooks_for_alert(index, alert_name, text)` lists up to k runbooks for an alert name and
its summary/description, with the actions each names. (The one runbook triage cites is
chosen by `tools/runbooks/choice.py`, which also puts the alert's runbook_url first.) A runbook that lists the alert in its front matter (or is named
after it) always wins; text search only fills the remaining places, and only with strong
matches, so triage never presents a weak guess as "the runbook". Each match carries the
remediation actions its Mitigation section names, so triage can propose exactly those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tools.runbooks.hits import Hit
from tools.runbooks.index import RunbookIndex

# Names of opsbot's remediation actions as runbooks cite them (tools/remediation catalogue).
REMEDIATION_ACTIONS = (
    "restart_service",
    "clean_directory",
    "kill_process",
    "set_model_alias",
    "set_prompt_label",
    "run_script",
)


def mentioned_actions(text: str, known: Iterable[str] = REMEDIATION_ACTIONS) -> list[str]:
    """Action names written in `text` as whole words, in order of first mention."""
    found: list[tuple[int, str]] = []
    for name in known:
        match = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text)
        if match:
            found.append((match.start(), name))
    return [name for _, name in sorted(found)]


@dataclass
class RunbookMatch:
    """One runbook for an incident: the section that matched and the steps to quote."""

    hit: Hit  # best-matching section (title, section, source, score, text)
    by: str  # "alert": the runbook names the alert; "text": found by the alert's text
    diagnosis: list[Hit] = field(default_factory=list)
    mitigation: list[Hit] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # remediation actions its Mitigation names

    @property
    def citation(self) -> str:
        return self.hit.citation


def _match(index: RunbookIndex, hit: Hit, by: str, known: Iterable[str]) -> RunbookMatch:
    sections = index.sections(hit.doc_id)
    diagnosis = [s for s in sections if s.section.lower().startswith("diagnos")]
    mitigation = [s for s in sections if s.section.lower().startswith("mitigat")]
    source_text = "\n".join(s.text for s in mitigation) or "\n".join(s.text for s in sections)
    return RunbookMatch(
        hit=hit,
        by=by,
        diagnosis=diagnosis,
        mitigation=mitigation,
        actions=mentioned_actions(source_text, known),
    )


def runbooks_for_alert(
    index: RunbookIndex,
    alert: str | None,
    text: str = "",
    k: int = 2,
    known_actions: Iterable[str] = REMEDIATION_ACTIONS,
) -> list[RunbookMatch]:
    """Up to `k` runbooks: those naming `alert` first, then strong matches for `text`."""
    known = tuple(known_actions)
    matches: list[RunbookMatch] = []
    seen: set[str] = set()
    alert = (alert or "").strip()
    text = (text or "").strip()
    if alert and index.for_alert(alert):
        query = f"{alert} {text}".strip()
        for hit in index.search(query, k=k, alert=alert, include_weak=True):
            matches.append(_match(index, hit, "alert", known))
            seen.add(hit.doc_id)
    if len(matches) < k and text:
        for hit in index.search(text, k=k + len(seen)):
            if hit.doc_id in seen:
                continue
            matches.append(_match(index, hit, "text", known))
            seen.add(hit.doc_id)
            if len(matches) >= k:
                break
    return matches[:k]
