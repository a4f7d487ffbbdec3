"""A decision typed in a conversation ("approve it", "reject 2, wrong version"): which approval
it is about, and deciding it exactly as a button or `opsbot approve` does.

The front ends (Slack threads and direct messages, the console, `opsbot ask --thread`) pass
each message a person typed to `TypedDecisions` before the agent sees it; only that text is
parsed (`bot.approvals.words`), never the model's output or a tool result, so no runbook,
prompt template or alert text can approve anything. With exactly one approval pending in the
conversation, "approve" decides it; with several, the answer lists them (numbered for the
conversation: a number never moves to another approval) and asks which; a number or an id
then decides that one. The decision goes through `ApprovalFlow.decide_and_resume`: the same
authorisation, two-person rule, compare-and-set, audit and feed as a click.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.approvals.decide import Decision
from bot.approvals.policy import ApprovalError
from bot.approvals.resume import ApprovalFlow
from bot.approvals.store import to_view
from bot.approvals.words import WordDecision, parse
from core.approvals import PENDING, ApprovalView, conversation_threads


@dataclass(frozen=True)
class Chosen:
    """The approval a typed decision is about."""

    approval: ApprovalView
    words: WordDecision


@dataclass(frozen=True)
class Ask:
    """Not clear which approval: what to answer instead (and the approvals it lists)."""

    text: str
    listed: tuple[ApprovalView, ...] = ()


@dataclass(frozen=True)
class Typed:
    """What became of a typed decision: the line for the person who typed it, the decision
    (None when refused or not clear which) and the resumed conversation's turn, if any."""

    said: str
    decision: Decision | None = None
    turn: Any = None
    listed: tuple[ApprovalView, ...] = ()


def describe(number: int, view: ApprovalView) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in view.args.items())
    return f"{number}. {view.id}: {view.tool}({args}), risk {view.risk}"


def which_one(words: WordDecision, numbered: list[tuple[int, ApprovalView]]) -> Ask:
    verb = "approve" if words.approve else "reject"
    lines = [f"{len(numbered)} approvals are pending in this conversation; which one?"]
    lines += [describe(n, v) for n, v in numbered]
    first = numbered[0][0]
    lines.append(f'Say "{verb} {first}" (or "{verb} <id>"); nothing was decided.')
    return Ask("\n".join(lines), tuple(v for _, v in numbered))


class TypedDecisions:
    def __init__(self, flow: ApprovalFlow) -> None:
        self.flow = flow
        self.approvals = flow.approvals

    def resolve(self, text: str, thread_id: str, channel: str | None = None) -> Chosen | Ask | None:
        """Which approval `text` (a person's message in `thread_id`; `channel` for a direct
        message, whose every message starts a thread) decides; None when it is no decision
        or none is pending in the conversation (the agent answers it)."""
        words = parse(text)
        if words is None:
            return None
        target = words.target
        if target is not None and not target.isdigit():
            view = self.approvals.find(target)
            if view is None:
                return Ask(f"Refused: no approval with id {target}")
            return Chosen(view, words)
        self.approvals.expire_due()
        rows = self.approvals.store.in_conversation(conversation_threads(thread_id), channel)
        numbered = [(n, to_view(row)) for n, row in enumerate(rows, 1)]
        pending = [(n, v) for n, v in numbered if v.status == PENDING]
        if target is not None:
            chosen = [v for n, v in numbered if n == int(target)]
            if chosen:
                return Chosen(chosen[0], words)
            listed = "; ".join(describe(n, v) for n, v in pending) or "none is pending"
            return Ask(f"There is no approval {target} in this conversation ({listed}).")
        if not pending:
            return None
        if len(pending) > 1:
            return which_one(words, pending)
        return Chosen(pending[0][1], words)

    def answer(
        self, text: str, thread_id: str, *, user: str, via: str, channel: str | None = None
    ) -> Typed | None:
        """Resolve and decide (the terminal front ends; Slack decides through its click
        handler, which also updates the card). None: not a decision, ask the agent."""
        resolved = self.resolve(text, thread_id, channel)
        if resolved is None:
            return None
        if isinstance(resolved, Ask):
            return Typed(resolved.text, listed=resolved.listed)
        words = resolved.words
        try:
            decision, turn = self.flow.decide_and_resume(
                resolved.approval.id,
                user=user,
                approve=words.approve,
                via=via,
                reason=words.reason,
            )
        except ApprovalError as exc:
            return Typed(f"Refused: {exc}")
        return Typed(said(decision), decision, turn)


def said(decision: Decision) -> str:
    """The line for the person who decided: what their decision did."""
    if not decision.changed:
        return f"Nothing to do: {decision.approval.id} is {decision.message}."
    return f"{decision.approval.id}: {decision.message}."
