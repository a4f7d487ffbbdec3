"""One turn's checks: the tools it called (and must not call), their arguments (a subset
match), the approval it left pending, and the words of its answer."""

from __future__ import annotations

from typing import Any

from bot.evals.cases import TurnSpec
from graphs.turns import TurnResult


def check_turn(spec: TurnSpec, turn: TurnResult, *, write_tools: set[str]) -> list[str]:
    """What this turn got wrong, one line each; empty when it passed."""
    problems: list[str] = []
    called = [c.name for c in turn.tool_calls]
    for name in spec.tools:
        if name not in called:
            problems.append(f"did not call {name} (called: {', '.join(called) or 'nothing'})")
    for name in spec.forbidden_tools:
        if name in called:
            problems.append(f"called forbidden tool {name}")
    if spec.only_tools:
        extra = sorted(set(called) - set(spec.tools))
        if extra:
            problems.append(f"called tools nobody asked for: {', '.join(extra)}")
    for name, wanted in spec.args.items():
        calls = [c.args for c in turn.tool_calls if c.name == name]
        if calls and not any(_subset(wanted, args) for args in calls):
            problems.append(f"{name} arguments {calls} do not include {wanted}")
        elif not calls and name not in spec.tools:
            problems.append(f"did not call {name} (for its arguments {wanted})")
    pending = [v.tool for v in turn.pending]
    if spec.approval == "none" and pending:
        problems.append(f"left an approval pending for {', '.join(pending)}")
    elif spec.approval not in (None, "none") and spec.approval not in pending:
        problems.append(f"no approval pending for {spec.approval} (pending: {pending or 'none'})")
    ran = [c.name for c in turn.tool_calls if c.name in write_tools and c.ok]
    if ran:
        problems.append(f"a write tool ran: {', '.join(ran)}")
    answer = turn.answer.lower()
    for word in spec.contains:
        if word.lower() not in answer:
            problems.append(f"answer lacks {word!r}")
    for word in spec.not_contains:
        if word.lower() in answer:
            problems.append(f"answer contains {word!r}")
    return problems


def _subset(wanted: dict[str, Any], args: dict[str, Any]) -> bool:
    for key, value in wanted.items():
        got = args.get(key)
        if isinstance(value, str) and isinstance(got, str):
            if value.lower() != got.lower():
                return False
        elif got != value:
            return False
    return True
