"""Write the offline planner's answer from the tool results of this turn: one answer across
every tool called.

Verdict first (one line: healthy, degraded, what is wrong, worst first), then the evidence
for it (the few figures that support it, from every tool), then the next step (a runbook
section by title, a catalogue action, or the one question to ask); the tools' own text
follows, shortened. The verdict rules per tool kind live in `graphs.offline.verdicts`.
"""

from __future__ import annotations

from graphs.offline.verdicts import Outcome, Verdict, verdict_of
from graphs.offline.verdicts.base import FAILED, INFO, RANK

MAX_HEADLINES = 4
MAX_EVIDENCE = 8
MAX_STEPS = 2


def clip(text: str, lines: int | None) -> str:
    """`text` cut to `lines` lines (None: whole), saying how much was left out; a code
    fence left open by the cut is closed."""
    rows = text.strip("\n").splitlines()
    if lines is None or len(rows) <= lines:
        return "\n".join(rows)
    kept = rows[:lines]
    if sum(1 for r in kept if r.strip().startswith("```")) % 2:
        kept.append("```")
    left = len(rows) - lines
    kept.append(f"… ({left} more line{'s' if left != 1 else ''})")
    return "\n".join(kept)


def _ordered(verdicts: list[Verdict]) -> list[Verdict]:
    """Worst first; the tools' call order among equals."""
    return sorted(verdicts, key=lambda v: -RANK[v.level])


def verdict_line(verdicts: list[Verdict]) -> str:
    heads = [v.headline for v in _ordered(verdicts)]
    more = len(heads) - MAX_HEADLINES
    line = " ".join(heads[:MAX_HEADLINES])
    return line + (f" (and {more} more results below)" if more > 0 else "")


def next_steps(verdicts: list[Verdict]) -> list[str]:
    """The next steps of the worst results first, at most MAX_STEPS, without repeats."""
    steps: list[str] = []
    for verdict in _ordered(verdicts):
        if verdict.next_step and verdict.next_step not in steps:
            steps.append(verdict.next_step)
    return steps[:MAX_STEPS]


def _sentence(step: str) -> str:
    return step[:1].upper() + step[1:]


def compose(outcomes: list[Outcome], question: str = "") -> str:
    """The answer to `question` from the turn's tool outcomes, in call order."""
    if not outcomes:
        return "I have nothing to report."
    verdicts = [verdict_of(o, question) for o in outcomes]
    parts = [verdict_line(verdicts)]
    evidence = [e for v in _ordered(verdicts) for e in v.evidence][:MAX_EVIDENCE]
    if evidence:
        parts.append("Evidence:\n" + "\n".join(f"• {e}" for e in evidence))
    steps = next_steps(verdicts)
    if steps:
        parts.append("Next step: " + " ".join(_sentence(s) for s in steps))
    details = []
    for outcome, verdict in zip(outcomes, verdicts, strict=True):
        text = verdict.body if verdict.body is not None else outcome.text
        if verdict.level == FAILED or verdict.detail_lines == 0 or not text.strip():
            continue
        details.append(clip(text, verdict.detail_lines))
    if details:
        only_info = all(v.level == INFO for v in verdicts) and len(verdicts) == 1
        parts.append(("" if only_info else "Details:\n") + "\n\n".join(details))
    return "\n\n".join(parts)


__all__ = ["Outcome", "clip", "compose", "next_steps", "verdict_line"]
