"""The `/ops` slash command.

`/ops help` is answered in the ack itself. Lookups (`health`, `incidents`, `models`,
`prompts`, `search …`, `oncall [schedule]`) are acked at once and answered ephemerally: they are for the person
asking. `maintenance` opens the maintenance-window modal (bot/slack/maintenance.py). Anything else is a question for the agent, answered privately too (`private.py`:
nothing about the question appears in the channel), with a "Share in channel" button.
`/ops share <question>` (or `--share`) asks in the channel instead: the question is posted
as a message and the answer goes in its thread, so follow-ups in that thread keep the context
(when the bot cannot post there, e.g. a DM between two people, the answer comes back
privately).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from bot.reply import Context, Reply, Section
from bot.slack.client import redacting_respond
from bot.slack.conversation import Conversations, Incoming
from bot.slack.mrkdwn import escape, quote
from bot.slack.outbox import slack_error
from bot.slack.private import PrivateAnswers, send_private
from bot.slack.render import MAX_BLOCKS, SlackMessage, render_reply, section
from bot.slack.swaps import SwapRequests
from core.access import Caller
from graphs.port import AgentPort
from tools.base import Toolbox

log = logging.getLogger(__name__)

HELP = """*opsbot* — `/ops` commands:
• `/ops health` — CPU, memory, load and disks of the host
• `/ops incidents` — open incidents
• `/ops models` — registered models and their aliases
• `/ops prompts` — prompts and their labels
• `/ops search <words>` — search the runbooks
• `/ops oncall [schedule]` — who is on call now and next
• `/ops oncall swap <schedule> <start> <end> [reason]` — ask someone to take that part of your shift
• `/ops maintenance [list | end ID]` — create (a form), list or end maintenance windows
• `/ops declare` — declare an incident (a form)
• `/ops <question>` — ask the agent; only you see the answer, with a *Share in channel* button
• `/ops share <question>` — ask in the channel; the answer is posted in a thread
• `/ops help` — this text
You can also @-mention me in a channel, or DM me."""


SHARE_WORDS = ("share", "--share")
SHARE_USAGE = "Usage: /ops share <question>, e.g. /ops share how full is the disk?"


@dataclass(frozen=True)
class Lookup:
    tool: str
    what: str  # shown when the tool is not available
    args: Callable[[str], dict[str, Any]]


LOOKUPS: dict[str, Lookup] = {
    "health": Lookup("host_health", "host health", lambda _: {}),
    "incidents": Lookup("list_incidents", "incidents", lambda _: {"status": "open"}),
    "models": Lookup("list_models", "the model registry", lambda _: {}),
    "prompts": Lookup("list_prompts", "the prompt registry", lambda _: {}),
    "search": Lookup("search_runbooks", "runbook search", lambda q: {"query": q, "k": 3}),
    "oncall": Lookup("who_is_on_call", "on call", lambda q: {"schedule": q} if q else {}),
}
MAINTENANCE_LIST = Lookup("maintenance_windows", "maintenance windows", lambda _: {})


class OpsCommand:
    def __init__(
        self,
        agent: Callable[[], AgentPort],
        toolbox: Toolbox,
        conversations: Conversations,
        pool: Executor,
        private: PrivateAnswers,
        swaps: SwapRequests | None = None,
        maintenance: Any = None,
        declare: Any = None,
    ) -> None:
        self._agent = agent  # built on first use
        self.toolbox = toolbox
        self.conversations = conversations
        self.pool = pool
        self.private = private
        self.swaps = swaps
        self.maintenance = maintenance  # a MaintenanceModal, or None
        self.declare = declare  # a DeclareModal (bot/slack/declare.py), or None

    def handle(self, ack: Callable[..., Any], body: dict[str, Any], respond: Any) -> None:
        """Bolt listener body: ack within milliseconds, do the work on the pool."""
        respond = redacting_respond(respond)  # response_url bypasses the redacting client
        text = (body.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word = word.lower()
        if not text or word in ("help", "?", "-h", "--help"):
            ack(text="opsbot help", blocks=[section(HELP)], response_type="ephemeral")
            return
        if word == "search" and not rest.strip():
            ack(
                text="Usage: /ops search <words>, e.g. /ops search disk full",
                response_type="ephemeral",
            )
            return
        if word in SHARE_WORDS and not rest.strip():
            ack(text=SHARE_USAGE, response_type="ephemeral")
            return
        swap, _, swap_rest = rest.strip().partition(" ")
        if word == "oncall" and swap.lower() == "swap" and self.swaps is not None:
            ack()
            self.pool.submit(self.swaps.ask, swap_rest.strip(), body, respond)
            return
        ack()
        if word == "maintenance" and rest.strip().lower() in ("list", "ls"):
            self.pool.submit(self._lookup, MAINTENANCE_LIST, "", body, respond)
        elif word == "declare" and self.declare is not None:
            self.pool.submit(self.declare.open, body, respond)
        elif word == "maintenance" and self.maintenance is not None:
            self.pool.submit(self.maintenance.command, rest.strip(), body, respond)
        elif word in LOOKUPS:
            self.pool.submit(self._lookup, LOOKUPS[word], rest.strip(), body, respond)
        elif word in SHARE_WORDS:
            self.pool.submit(self._ask, rest.strip(), body, respond)
        else:
            self.pool.submit(self._ask_privately, text, body, respond)

    # ------------------------------------------------------------------ lookups
    def _lookup(self, lookup: Lookup, rest: str, body: dict[str, Any], respond: Any) -> None:
        try:
            tool = self.toolbox.get(lookup.tool)
            if tool is None:
                reply = Reply(
                    [Section(f"{lookup.what.capitalize()} is not available in this opsbot.")],
                    fallback=f"{lookup.what} is not available",
                )
            else:
                caller = Caller(
                    user=str(body.get("user_id")), via="slack", channel=body.get("channel_id")
                )
                result = tool.invoke(lookup.args(rest), caller)
                prefix = "" if result.ok else "⚠️ "
                reply = Reply(
                    [
                        Section(prefix + result.text),
                        Context(f"/ops {body.get('text', '').strip()}"),
                    ],
                    fallback=result.text[:3000],
                )
            self._respond(respond, reply, body)
        except Exception as exc:
            log.exception("/ops %s failed", lookup.tool)
            self._respond_text(
                respond, f"Sorry, that failed: {type(exc).__name__}. Nothing was changed."
            )

    def _respond(self, respond: Any, reply: Reply, body: dict[str, Any]) -> None:
        """Answer a lookup privately (`send_private`: `response_url`, else
        `chat.postEphemeral`): its first message."""
        rendered = render_reply(reply)
        first = rendered.messages[0] if rendered.messages else SlackMessage("(no answer)")
        message = SlackMessage(first.text, first.blocks[:MAX_BLOCKS])
        outbox = self.conversations.outbox
        channel, user = str(body.get("channel_id") or ""), str(body.get("user_id") or "")
        send_private(respond, outbox, channel, user, message)

    def _respond_text(self, respond: Any, text: str) -> None:
        try:
            respond(text=text, blocks=[section(escape(text))], response_type="ephemeral")
        except Exception:
            log.exception("could not answer through response_url")

    # ------------------------------------------------------------------ questions
    def _ask(self, text: str, body: dict[str, Any], respond: Any) -> None:
        """Post the question in the channel and answer in its thread."""
        channel = str(body.get("channel_id") or "")
        user = str(body.get("user_id") or "")
        team = str(body.get("team_id") or self.conversations.identity.team_id)
        question = SlackMessage(
            text=f"<@{user}> asked: {text}",
            blocks=[section(f"<@{user}> asked via `/ops`:\n{quote(escape(text))}")],
        )
        try:
            root_ts = self.conversations.outbox.post(channel, question)
        except Exception as exc:
            log.info("cannot post in %s (%s): answering privately", channel, slack_error(exc))
            self._ask_privately(text, body, respond, can_post=False)
            return
        incoming = Incoming(team, channel, root_ts, root_ts, user, text)
        placeholder = self.conversations.outbox.placeholder(channel, root_ts)
        self.conversations.run_turn(incoming, placeholder)

    def _ask_privately(
        self, text: str, body: dict[str, Any], respond: Any, can_post: bool = True
    ) -> None:
        """Answer only the asker (`PrivateAnswers`); `can_post` False: the channel refused
        the bot already."""
        try:
            self.private.answer(text, body, respond, can_post)
        except Exception as exc:
            log.exception("/ops question failed")
            self._respond_text(
                respond, f"Sorry, that failed: {type(exc).__name__}. Nothing was changed."
            )
