"""What the admin commands share: running an agent tool for the terminal, and asking for an
approval from the terminal exactly as the chat agent's gate does. The terminal user is
always `Terminal.user` (the OS user, mapped by CLI_USERS: bot/identity.py).

Heavy modules are imported inside the functions, like everywhere in the CLI.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from bot.cli import CliError

if TYPE_CHECKING:
    from bot.commands.deps import Terminal
    from tools.base import OpsTool


def print_json(value: Any, *, ensure_ascii: bool = True) -> None:
    print(json.dumps(value, default=str, ensure_ascii=ensure_ascii))


def _tool(terminal: Terminal, name: str) -> OpsTool:
    """The agent tool `name`; a command asking for one that is not built is a bug."""
    tool = terminal.toolbox().get(name)
    if tool is None:
        raise CliError(f"the tool {name} is not available in this build of opsbot")
    return tool


def run_tool(
    terminal: Terminal, name: str, raw: dict[str, Any], *, user: str, as_json: bool
) -> int:
    """Run the agent tool `name` for the terminal: its text, or its data as JSON. A refusal
    (ToolError) is the command's error, exit 1."""
    from core.access import Caller
    from tools.base import ToolError

    tool = _tool(terminal, name)
    try:
        result = tool.run(tool.parse(raw), Caller(user, "cli"))
    except ToolError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        print_json(result.data)
    else:
        print(result.text)
    return 0


def request_approval(terminal: Terminal, name: str, raw: dict[str, Any], *, area: str) -> Any:
    """Ask for an approval of the gated tool `name` with `raw` arguments, as the console
    user (the OS user, mapped by CLI_USERS): the arguments are validated and the change dry-run (its preview redacted) as the
    agent's gate does; nothing changes until `opsbot approve ID`. Returns the ApprovalView.
    `area` names the command in the approval's thread id (`cli:<area>:<random>`)."""
    from core.access import Caller
    from tools.base import ToolError
    from tools.redact import redact

    tool = _tool(terminal, name)
    try:
        parsed = tool.parse(raw)
        preview = tool.preview(parsed) if tool.preview else ""
        risk = tool.risk_of(parsed)
    except ToolError as exc:
        raise CliError(str(exc)) from None
    return terminal.approvals().request(
        thread_id=f"cli:{area}:{uuid.uuid4().hex[:12]}",
        tool_call_id=name,
        tool=tool,
        args=parsed.model_dump(mode="json"),
        caller=Caller(user=terminal.user, via="cli"),
        preview=redact(preview),
        risk=risk,
    )


def approval_card(view: Any) -> str:
    """The console's approval card, with the commands to type in a terminal."""
    from bot.console import render_text
    from bot.reply import ApprovalCard, Reply

    card = render_text(Reply([ApprovalCard(view)]))
    return card.replace("type: approve", "run: opsbot approve").replace(
        "or: reject", "or: opsbot reject"
    )
