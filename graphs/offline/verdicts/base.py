"""What one tool call says, as a verdict: a level, a one-line headline, the few figures that
support it and the next step. Plain functions over the tool's structured `data` build them
(one module per tool kind); `graphs.offline.compose` joins them into one answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

OK, INFO, WARN, BAD, FAILED = "ok", "info", "warn", "bad", "failed"
# how much each level weighs when the turn's verdict is chosen (worst first)
RANK = {INFO: 0, OK: 1, WARN: 2, FAILED: 3, BAD: 4}
DETAIL_LINES = 20


@dataclass
class Outcome:
    """One tool call of the turn: its name and arguments, the text people read, the
    structured result (the ToolMessage artifact's `data`) and whether it succeeded."""

    name: str
    args: dict[str, Any]
    text: str
    data: Any
    ok: bool


@dataclass
class Verdict:
    level: str  # ok | info | warn | bad | failed
    headline: str  # one sentence: what this tool's result means
    evidence: list[str] = field(default_factory=list)  # the figures that show it
    next_step: str | None = None  # a runbook section, a catalogue action or one question
    # how many lines of the tool's own text follow the verdict: None all, 0 none
    detail_lines: int | None = DETAIL_LINES
    body: str | None = None  # the detail to show instead of the tool's whole text


def asks_about(question: str, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.search(question or ""))


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def as_dict(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def as_list(data: Any) -> list[Any]:
    return data if isinstance(data, list) else []


def plain(outcome: Outcome, _question: str = "") -> Verdict:
    """A tool without verdict rules (prompts, remediation, alias moves): its first line is
    the headline and the rest of its text follows whole (a prompt template is not cut)."""
    head = first_line(outcome.text)
    rest = outcome.text.strip()[len(head) :].strip("\n") if head else ""
    return Verdict(INFO, head or f"{outcome.name} returned nothing.", detail_lines=None, body=rest)


def failed(outcome: Outcome) -> Verdict:
    return Verdict(
        FAILED, f"I could not run {outcome.name}: {outcome.text.strip()}", detail_lines=0
    )
