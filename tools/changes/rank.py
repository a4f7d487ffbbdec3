"""Which recent change most likely caused a problem: pure ranking, no database.

Triage asks for the changes in the `WINDOW` before an incident began and ranks them:
- time: a change shortly before the onset weighs most (half-life `HALF_LIFE`); a change after
  the onset cannot have caused it and is left out;
- entity: a change to something the incident names (its service, job, model, prompt, or a
  word of its title) weighs `SAME_ENTITY` times more.
The top change is called the likely cause when it touches the incident's entity, or when it
is the only change within `CLOSE` of the onset. Its revert is an approval like any other: an
alias or label moved back to its previous version (`revert_of`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tools.changes.store import Change, ChangeKind

WINDOW = timedelta(hours=2)
HALF_LIFE = timedelta(minutes=20)
CLOSE = timedelta(minutes=15)
SAME_ENTITY = 4.0
# incident labels that name the thing that broke
ENTITY_LABELS = ("service", "job", "app", "model", "prompt", "deployment", "container", "name")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,}")
_VERSION = re.compile(r"=v(\d+)$")


@dataclass(frozen=True)
class RankedChange:
    change: Change
    score: float
    before_onset: timedelta
    same_entity: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return self.change.to_dict() | {
            "score": round(self.score, 3),
            "minutes_before": round(self.before_onset.total_seconds() / 60, 1),
            "same_entity": self.same_entity,
            "reason": self.reason,
        }


def entities(labels: Mapping[str, str], title: str = "") -> set[str]:
    """The lower-case names an incident is about: its entity labels and its title's words."""
    names = {str(labels[k]).strip().lower() for k in ENTITY_LABELS if labels.get(k)}
    names |= {w.lower() for w in _WORD.findall(title)}
    return {n for n in names if n}


def _minutes(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def rank(changes: Iterable[Change], onset: datetime, about: set[str]) -> list[RankedChange]:
    """The changes made before `onset` (within `WINDOW`), most likely cause first."""
    ranked = []
    for change in changes:
        before = onset - change.at
        if before < timedelta(0) or before > WINDOW:
            continue
        same = change.target.lower() in about
        score = math.exp(-math.log(2) * (before / HALF_LIFE)) * (SAME_ENTITY if same else 1.0)
        reason = f"{_minutes(before)} before the onset" + (
            f", and it changed {change.target}, which this incident is about" if same else ""
        )
        ranked.append(RankedChange(change, score, before, same, reason))
    ranked.sort(key=lambda r: (-r.score, -r.change.id))
    return ranked


def likely_cause(ranked: list[RankedChange]) -> RankedChange | None:
    """The top change when it touches the incident's entity, or is alone within `CLOSE`."""
    if not ranked:
        return None
    top = ranked[0]
    if top.same_entity:
        return top
    close = [r for r in ranked if r.before_onset <= CLOSE]
    return top if close == [top] else None


def revert_of(change: Change) -> tuple[str, dict[str, Any]] | None:
    """The gated tool call that puts an alias or label back where it was, or None when the
    change cannot be reverted that way (a remediation, a deploy, no previous version)."""
    match = _VERSION.search(change.before)
    if match is None:
        return None
    pointer = change.before.split("=", 1)[0]
    version = int(match.group(1))
    if change.kind == ChangeKind.MODEL_ALIAS:
        return "set_model_alias", {"name": change.target, "alias": pointer, "version": version}
    if change.kind == ChangeKind.PROMPT_LABEL:
        return "set_prompt_label", {"name": change.target, "label": pointer, "version": version}
    return None
