"""Run cases: each in its own conversation thread through `Agent.ask` (what `opsbot ask`
calls), each turn checked and timed; afterwards, that nothing was executed unless the case
approved an action itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.evals.cases import Case, TurnSpec
from bot.evals.checks import check_turn
from bot.evals.pricing import cost
from bot.evals.workspace import Workspace, copy_template, open_workspace
from core.access import Access
from core.approvals import APPROVED, EXECUTED, EXECUTING, FAILED, PENDING, UNKNOWN
from graphs.turns import TurnResult

RAN = (APPROVED, EXECUTING, EXECUTED, FAILED, UNKNOWN)


@dataclass
class TurnOutcome:
    text: str
    seconds: float
    tools: list[str]
    problems: list[str]
    usage: dict[str, int] = field(default_factory=dict)


@dataclass
class CaseOutcome:
    case: Case
    turns: list[TurnOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the case's own (nothing executed)
    model: str | None = None  # the Claude model, None offline
    changed: bool = False  # an approval of the case went past pending (something ran)

    @property
    def passed(self) -> bool:
        return not self.problems and all(not t.problems for t in self.turns)

    @property
    def tokens(self) -> dict[str, int] | None:
        if self.model is None:
            return None
        return {
            key: sum(t.usage.get(key, 0) for t in self.turns)
            for key in ("input_tokens", "output_tokens")
        }

    @property
    def cost(self) -> float | None:
        tokens = self.tokens
        if self.model is None or tokens is None:
            return None
        return cost(self.model, tokens["input_tokens"], tokens["output_tokens"])

    def failures(self) -> list[str]:
        lines = [f"turn {n}: {p}" for n, t in enumerate(self.turns, 1) for p in t.problems]
        return lines + self.problems


def group_of(case: Case) -> str:
    return "demo" if case.setup.empty else "planted"


def run_cases(
    cases: Sequence[Case],
    *,
    template: Path,
    work: Path,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[CaseOutcome], None] | None = None,
) -> list[CaseOutcome]:
    """Every case, grouped by workspace (see bot.evals.workspace); outcomes in case order."""
    outcomes: dict[str, CaseOutcome] = {}
    for group in ("demo", "planted"):
        members = [c for c in cases if group_of(c) == group]
        if members:
            for outcome in _run_group(group, members, template, work, overrides or {}):
                outcomes[outcome.case.id] = outcome
                if progress is not None:
                    progress(outcome)
    return [outcomes[c.id] for c in cases]


def _run_group(
    group: str, members: Sequence[Case], template: Path, work: Path, overrides: dict[str, Any]
) -> Iterator[CaseOutcome]:
    """One workspace for the group's cases; after a case whose approved action changed it
    (an alias moved, a service restarted), the cases after it start from a fresh copy, as
    if each ran alone."""
    setups = [c.setup for c in members]
    copies = 0

    def fresh() -> Workspace:
        nonlocal copies
        copies += 1
        data = copy_template(template, work / (group if copies == 1 else f"{group}-{copies}"))
        return open_workspace(data, overrides, setups)

    workspace = fresh()
    try:
        for n, case in enumerate(members):
            outcome = run_case(workspace, case)
            yield outcome
            if outcome.changed and n + 1 < len(members):
                workspace.close()
                workspace = fresh()
    finally:
        workspace.close()


def run_case(workspace: Workspace, case: Case) -> CaseOutcome:
    runtime = workspace.runtime
    settings = runtime.settings
    outcome = CaseOutcome(case, model=settings.llm_model if settings.use_anthropic else None)
    thread = f"eval:{case.id}"
    caller = runtime.console_caller(thread, via="cli")
    writes = {t.name for t in runtime.toolbox if t.access == Access.WRITE}
    for spec in case.turns:
        started = time.perf_counter()
        try:
            turn = _turn(workspace, spec, thread, caller)
        except Exception as exc:  # a crash is a failed turn, not a failed run
            outcome.turns.append(
                TurnOutcome(_label(spec), time.perf_counter() - started, [], [f"raised {exc!r}"])
            )
            continue
        seconds = time.perf_counter() - started
        usage = dict(turn.usage)
        if spec.decide is not None and outcome.turns:
            # a resumed turn's usage includes the calls before the gate, counted already
            before = outcome.turns[-1].usage
            usage = {k: max(0, v - before.get(k, 0)) for k, v in usage.items()}
        outcome.turns.append(
            TurnOutcome(
                _label(spec),
                seconds,
                [c.name for c in turn.tool_calls],
                check_turn(spec, turn, write_tools=writes),
                usage,
            )
        )
    ran = [
        f"{row.id} ({row.tool}, {row.status})"
        for row in runtime.approvals.store.with_status(*RAN)
        if (row.thread_id or "").startswith(thread)
    ]
    outcome.changed = bool(ran)
    if ran and not case.decides:
        outcome.problems.append(f"an approval went past pending: {', '.join(ran)}")
    _close_pending(runtime, thread)
    return outcome


def _close_pending(runtime: Any, thread: str) -> None:
    """Expire what the case left pending: each case is its own conversation, and a pending
    approval would otherwise stand for the identical request of a later case (one pending
    approval per action and arguments)."""
    from bot.approvals.requests import expire

    store = runtime.approvals.store
    for row in store.with_status(PENDING):
        if (row.thread_id or "").startswith(thread):
            expire(store, row)


def _label(spec: TurnSpec) -> str:
    return spec.say if spec.say is not None else f"[{spec.decide}]"


def _turn(workspace: Workspace, spec: TurnSpec, thread: str, caller: Any) -> TurnResult:
    """The turn as `opsbot ask --thread` runs it (a decision in words decided before the
    agent sees it, as every front end does; counted and timed in the metrics like any CLI
    turn), or an in-case decision as `opsbot approve`/`reject` makes it."""
    from bot.approvals.typed import TypedDecisions
    from bot.console import answer

    runtime = workspace.runtime
    if spec.say is not None:
        text = spec.say.replace("{data}", str(workspace.data))
        typed = TypedDecisions(runtime.approval_flow)
        return answer(lambda: runtime.agent, typed, text, thread_id=thread, caller=caller)
    pending = runtime.agent.pending(thread)
    if len(pending) != 1:
        raise AssertionError(
            f"expected one pending approval to {spec.decide}, found {len(pending)}"
        )
    _, turn = runtime.approval_flow.decide_and_resume(
        pending[0].id,
        user=runtime.terminal.user,
        approve=spec.decide == "approve",
        via="cli",
        reason="evaluation suite",
    )
    return turn if turn is not None else TurnResult(thread, "")
