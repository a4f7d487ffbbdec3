"""The local console: `opsbot chat` (interactive) and the text rendering of replies."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

from bot.console.prompt_line import PROMPT, PromptLine
from bot.reply import (
    ApprovalCard,
    Attachment,
    Code,
    Context,
    Fields,
    Reply,
    Section,
    Table,
    reply_from_turn,
)
from core.access import Caller
from core.approvals import outcome_text
from core.clock import iso
from tools.format import text_table

if TYPE_CHECKING:
    from bot.approvals import ApprovalFlow, ApprovalService
    from bot.approvals.typed import Typed, TypedDecisions
    from bot.identity import TerminalIdentity
    from graphs.port import AgentPort
    from graphs.turns import TurnResult

HELP = """\
Type a question, e.g. "how's the box doing?", "is bike-demand drifting?", "list prompts".
Commands:
  approve [ID] [reason] approve a pending action (ID as shown, e.g. ap-1a2b3c4d5e6f; without
                        it, the one pending in this conversation: "approve it", "yes")
  reject [ID] [reason]  reject it ("reject, wrong version", "no")
  pending               list pending approvals
  new                   start a new conversation (forget context)
  help                  this text
  quit                  leave (Ctrl-D works too)"""


def render_text(reply: Reply) -> str:
    out: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Section):
            out.append(block.text)
        elif isinstance(block, Fields):
            out.append("\n".join(f"{k}: {v}" for k, v in block.pairs))
        elif isinstance(block, Code):
            title = f"{block.title}\n" if block.title else ""
            out.append(f"{title}{block.text}")
        elif isinstance(block, Table):
            title = f"{block.title}\n" if block.title else ""
            out.append(title + text_table(block.headers, block.rows))
        elif isinstance(block, Context):
            out.append(f"  ({block.text})")
        elif isinstance(block, Attachment):
            out.append(f"[{block.title}] written to {block.path}")
        elif isinstance(block, ApprovalCard):
            view = block.approval
            needed = (
                f", needs {view.approvals_needed} approvers" if view.approvals_needed > 1 else ""
            )
            out.append(
                "┌ APPROVAL NEEDED " + view.id + f" (risk {view.risk}{needed}, expires "
                f"{iso(view.expires_at)})\n"
                f"│ action: {view.tool} {view.args}\n"
                + "\n".join("│ " + line for line in (view.preview or "").splitlines())
                + f"\n└ type: approve {view.id}   or: reject {view.id}"
            )
    return "\n".join(out)


def render_turn(turn: Any) -> str:
    return render_text(reply_from_turn(turn))


def answer(
    agent: Callable[[], AgentPort],
    typed: TypedDecisions,
    text: str,
    *,
    thread_id: str,
    caller: Caller,
) -> TurnResult:
    """A message typed at a terminal (the console, `opsbot ask`, the evaluation suite): a
    decision in words ("approve it", "reject 2, wrong version") is decided before the agent
    sees it, as `opsbot approve` would; anything else is an agent turn."""
    from bot.metrics import counted_turn

    got = typed.answer(text, thread_id, user=caller.user, via=caller.via)
    if got is None:
        return counted_turn(agent(), text, thread_id=thread_id, caller=caller)
    return typed_turn(got, typed.approvals, thread_id)


def typed_turn(got: Typed, approvals: ApprovalService, thread_id: str) -> TurnResult:
    """A typed decision as a turn: the decision (or refusal, or the question which one),
    then the resumed conversation's answer, or the action's outcome when none was resumed."""
    from graphs.turns import TurnResult

    turn, decision = got.turn, got.decision
    if turn is not None:
        answer = f"{got.said}\n{turn.answer}".strip()
        return replace(turn, answer=answer, note=None)
    lines = [got.said]
    if decision is not None and decision.ready:
        lines.append(outcome_text(approvals.view(decision.approval.id)))
    return TurnResult(thread_id, "\n".join(lines), pending=list(got.listed))


def expired_notice(
    prompt: PromptLine = PROMPT, stream: TextIO | None = None
) -> Callable[[Any, Any], None]:
    """The scheduler's `on_expired_turn` for the console: the conversation's answer to an
    expired approval, printed above the `you> ` prompt like every other console output."""

    def notice(_view: Any, turn: Any) -> None:
        prompt.write(render_turn(turn), stream or sys.stdout)

    return notice


@dataclass(frozen=True)
class ConsoleDeps:
    """What the console uses (built by `Runtime.console_deps`)."""

    agent: Callable[[], AgentPort]
    approvals: ApprovalService
    flow: ApprovalFlow
    terminal: TerminalIdentity  # who types here (bot/identity.py)


class Console:
    def __init__(
        self, deps: ConsoleDeps, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
    ) -> None:
        self.deps = deps
        self.stdin = stdin
        self.stdout = stdout
        self.thread_id = f"console:{uuid.uuid4().hex[:8]}"
        self.prompt = PROMPT

    def say(self, text: str) -> None:
        self.prompt.write(text, self.stdout)

    def handle(self, line: str) -> bool:
        """Process one input line; False means quit."""
        text = line.strip()
        if not text:
            return True
        command = text.partition(" ")[0].lower()
        if command in ("quit", "exit", ":q"):
            return False
        if command == "help":
            self.say(HELP)
            return True
        if command == "new":
            self.thread_id = f"console:{uuid.uuid4().hex[:8]}"
            self.say("(new conversation)")
            return True
        if command == "pending":
            views = self.deps.approvals.pending()
            if not views:
                self.say("No pending approvals.")
            for view in views:
                self.say(render_text(Reply([ApprovalCard(view)])))
            return True
        caller = Caller(user=self.deps.terminal.user, via="console", thread=self.thread_id)
        turn = answer(self.deps.agent, self.typed, text, thread_id=self.thread_id, caller=caller)
        for call in turn.tool_calls:
            args = ", ".join(f"{k}={v!r}" for k, v in call.args.items())
            self.say(f"  → {call.name}({args})")
        self.say(render_turn(turn))
        return True

    @cached_property
    def typed(self) -> TypedDecisions:
        from bot.approvals.typed import TypedDecisions

        return TypedDecisions(self.deps.flow)

    def loop(self, prompt: PromptLine = PROMPT) -> int:
        """Read and handle lines until quit or end of input. `prompt` is the prompt line
        shared with the incident notifier (the process's one by default)."""
        self.prompt = prompt
        interactive = self.stdin.isatty()
        if interactive:
            self.say("opsbot console. Type 'help' for commands, 'quit' to leave.")
        while True:
            if interactive:
                prompt.show("you> ", self.stdout)
            line = self.stdin.readline()
            prompt.hide()
            if not line:
                return 0
            try:
                if not self.handle(line):
                    return 0
            except KeyboardInterrupt:
                self.say("(interrupted)")
