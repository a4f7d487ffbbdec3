"""The contract every opsbot tool follows.

A tool is plain Python: a pydantic model for its arguments, a function that returns a
`ToolResult`, and a declared `Access` level. The agent graph decides from `Access` alone
whether a call runs at once (`READ`), runs and is audited (`WRITE`), or becomes a pending
approval that a human must grant before it runs (`GATED`). The model cannot change that.

Nothing here imports Slack, LangGraph or LangChain (the import contracts in pyproject.toml
check it). A chat model binds to `schema()`; execution always goes through `OpsTool.invoke`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from core.access import Access, Caller, Risk
from core.errors import Unavailable, UserError
from tools.injection import flag, warning
from tools.observers import ERROR, FAILED, OK, ToolCall, notify
from tools.redact import redact, redact_data

log = logging.getLogger(__name__)


class ToolError(UserError):
    """A clear, user-facing failure: bad arguments, unknown names, refused targets."""


@dataclass
class ToolResult:
    """What a tool returns. `text` is what people and the model read; `data` is structured."""

    text: str
    data: Any = None
    files: list[Path] = field(default_factory=list)
    ok: bool = True
    # why the text holds instruction-like content ('' when it does not): see `flagged`
    untrusted: str = ""

    @classmethod
    def error(cls, message: str) -> ToolResult:
        return cls(text=message, ok=False)

    def redacted(self) -> ToolResult:
        """This result with every secret in its text and data masked (see tools.redact)."""
        return replace(self, text=redact(self.text), data=redact_data(self.data))

    def flagged(self, echoes: Iterable[str] = ()) -> ToolResult:
        """This result, or, when its text holds instruction-like content (a runbook, a prompt
        template, an alert annotation, a file name: tools.injection), this result with a
        warning in front of the text, so whoever reads it (the model first) sees that it is
        data. The text itself is kept. `echoes` are the call's own arguments: repeated in the
        output, they are not untrusted content."""
        reason = flag(self.text, echoes)
        if not reason:
            return self
        note = warning(reason, "text in this tool result")
        return replace(self, text=f"{note}\n{self.text}", untrusted=reason)


def validation_problems(exc: ValidationError, whole: str) -> str:
    """'field: what is wrong; ...' for each problem pydantic found (`whole` names a problem
    with the input as a whole), for ToolError messages."""
    problems = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err.get("loc", ())) or whole
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(problems)


def error_result(tool: str, exc: Exception) -> ToolResult:
    """The one place an exception becomes a tool result. A `UserError` is the caller's to
    fix: its message as is. `Unavailable`: the tool could not run because what its message
    names is down. Anything else is a bug or an unforeseen failure: logged with its
    traceback, and a result that names the tool and the exception."""
    if isinstance(exc, UserError):
        return ToolResult.error(exc.for_person())
    if isinstance(exc, Unavailable):
        return ToolResult.error(f"{tool} cannot run right now: {exc.for_person()}")
    log.error("tool %s failed", tool, exc_info=exc)
    return ToolResult.error(f"{tool} failed unexpectedly: {type(exc).__name__}: {exc}")


class NoArgs(BaseModel):
    """For tools that take no arguments."""


@dataclass
class OpsTool:
    """One capability the agent can call."""

    name: str
    description: str
    args: type[BaseModel]
    run: Callable[[Any, Caller], ToolResult]
    access: Access = Access.READ
    risk: Risk = Risk.LOW
    # GATED tools: a dry-run description of exactly what would change. It may raise
    # ToolError (unknown names, invalid target), in which case no approval is created.
    preview: Callable[[Any], str] | None = None
    # GATED tools: optional check after execution, returning a sentence on whether it worked.
    verify: Callable[[Any, ToolResult], str] | None = None
    # Risk can depend on the arguments (e.g. which remediation action is asked for).
    risk_for: Callable[[Any], Risk] | None = None

    def __post_init__(self) -> None:
        if self.access == Access.GATED and self.preview is None:
            raise ValueError(f"gated tool {self.name} needs a preview (dry run)")

    def parse(self, raw: dict[str, Any] | None) -> BaseModel:
        """Validate raw arguments; a bad value becomes a ToolError naming the field."""
        try:
            return self.args.model_validate(raw or {})
        except ValidationError as exc:
            raise ToolError(
                f"bad arguments for {self.name}: {validation_problems(exc, 'arguments')}"
            ) from None

    def invoke(self, raw: dict[str, Any] | None, caller: Caller) -> ToolResult:
        """Validate and run; whatever it raises becomes an error result (`error_result`).
        The result is redacted here, so no caller (agent, triage, approvals, commands) can
        store, post or show a secret from tool output, and flagged (`ToolResult.flagged`),
        so instruction-like text in it reaches the model and people with a warning in front.
        Observers (tools/observers.py) hear of every call, with the caller's front end and
        the outcome."""
        started = time.monotonic()
        outcome = FAILED
        echoes = [str(v) for v in (raw or {}).values() if isinstance(v, str | int)]
        try:
            args = self.parse(raw)
            result = self.run(args, caller).redacted().flagged(echoes)
            outcome = OK if result.ok else ERROR
            return result
        except Exception as exc:
            if isinstance(exc, UserError | Unavailable):
                outcome = ERROR
            return error_result(self.name, exc).redacted().flagged(echoes)
        finally:
            notify(ToolCall(self.name, caller.via, outcome, time.monotonic() - started))

    def risk_of(self, args: BaseModel) -> Risk:
        return self.risk_for(args) if self.risk_for is not None else self.risk

    def schema(self) -> dict[str, Any]:
        """The Anthropic-style tool schema."""
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        schema.pop("description", None)
        schema.setdefault("properties", {})
        return {"name": self.name, "description": self.description, "input_schema": schema}


class Toolbox:
    """The tools available to one agent, by name."""

    def __init__(self, tools: Iterable[OpsTool] = ()) -> None:
        self._tools: dict[str, OpsTool] = {}
        self.extend(tools)

    def add(self, tool: OpsTool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"duplicate tool name {tool.name}")
        self._tools[tool.name] = tool

    def extend(self, tools: Iterable[OpsTool]) -> None:
        for tool in tools:
            self.add(tool)

    def get(self, name: str) -> OpsTool | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[OpsTool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return list(self._tools)

    def gated(self) -> list[str]:
        return [t.name for t in self if t.access == Access.GATED]
