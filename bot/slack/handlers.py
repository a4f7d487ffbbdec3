"""Bolt listeners: thin adapters from Slack payloads to the front end's services.

Events are acknowledged by Bolt before these run (auto-ack); commands and button clicks call
`ack()` first thing. Everything slow is handed to the worker pool. No listener lets an
exception escape: Bolt would log it and, for commands, answer Slack with an error.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.slack.approvals import APPROVAL_ACTIONS, INCIDENT_ACTIONS
from bot.slack.client import redacting_respond
from bot.slack.decisions import Click
from bot.slack.declare import CALLBACK_ID as DECLARE_CALLBACK_ID
from bot.slack.declare import TITLE
from bot.slack.feedback import FEEDBACK_ACTIONS
from bot.slack.home import REFRESH_ACTION_ID
from bot.slack.maintenance import CALLBACK_ID, MATCHERS
from bot.slack.reasons import CALLBACK_ID as REASON_CALLBACK_ID
from bot.slack.reasons import REASON
from bot.slack.share import SHARE_ACTION_ID
from bot.slack.snooze import CALLBACK_ID as SNOOZE_CALLBACK_ID
from bot.slack.snooze import DURATION
from bot.slack.swaps import SWAP_ACTION_ID

log = logging.getLogger(__name__)


def _click(body: dict[str, Any], action: dict[str, Any], what: str) -> Click | None:
    """The click of a button payload, or None (logged) when the payload is malformed."""
    try:
        return Click.from_body(body, action)
    except Exception:
        log.exception("malformed %s click", what)
        return None


def _ids(action_ids: Any) -> re.Pattern[str]:
    return re.compile("^(" + "|".join(map(re.escape, action_ids)) + ")$")


def _submission(front: Any, attribute: str, where: str, undone: str) -> Any:
    """The listener of one modal's `view_submission`: the modal checks and acks; a failure
    is logged and answered under `where`, so the modal stays open."""

    def on_submission(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            modal = getattr(front, attribute)
            if modal is None:
                raise RuntimeError(f"this process offers no {attribute}")
            modal.submit(ack, body, view)
        except Exception:
            log.exception("%s submission failed", attribute)
            ack(response_action="errors", errors={where: f"Sorry, that failed; {undone}"})

    return on_submission


def register(app: Any, front: Any) -> None:
    """Attach opsbot's listeners to a Bolt App; `front` is the SlackFrontEnd."""

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        front.conversations.on_event(body, event, "app_mention")

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        front.conversations.on_event(body, event, "message")

    @app.command("/ops")
    def on_ops(ack: Any, body: dict[str, Any], respond: Any) -> None:
        try:
            front.command.handle(ack, body, respond)
        except Exception:
            log.exception("/ops failed")
            ack(text="Sorry, /ops failed. Nothing was changed.", response_type="ephemeral")

    @app.action(_ids(APPROVAL_ACTIONS))
    def on_approval(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = _click(body, action, "approval")
        if click is None:
            return
        if (body.get("view") or {}).get("type") == "home" and front.home_tab is not None:
            front.pool.submit(front.home_tab.approval_click, click)  # pressed on the App Home
            return
        front.pool.submit(front.approval_clicks.handle, click)

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        if event.get("tab") != "home" or front.home_tab is None:
            return  # the Messages tab, or no App Home in this process
        front.pool.submit(front.home_tab.publish, str(event.get("user") or ""))

    @app.action(REFRESH_ACTION_ID)
    def on_home_refresh(ack: Any, body: dict[str, Any]) -> None:
        ack()
        if front.home_tab is not None:
            front.pool.submit(front.home_tab.publish, str((body.get("user") or {}).get("id") or ""))

    @app.action(SHARE_ACTION_ID)
    def on_share(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        ack()
        click = _click(body, action, "Share")
        if click is None:
            return
        # the click's own response_url is the only way to replace the ephemeral answer
        reply = redacting_respond(respond) if body.get("response_url") else None
        front.pool.submit(front.share_clicks.handle, click, reply)

    @app.action(_ids(FEEDBACK_ACTIONS))
    def on_feedback(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = _click(body, action, "feedback")
        if click is None:
            return
        front.pool.submit(front.feedback_clicks.handle, click)

    @app.action(SWAP_ACTION_ID)
    def on_swap(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = _click(body, action, "swap")
        if click is None:
            return
        if front.swap_requests is not None:
            front.pool.submit(front.swap_requests.handle, click)

    @app.action(_ids(INCIDENT_ACTIONS))
    def on_incident(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        click = _click(body, action, "incident")
        if click is None:
            return
        clicks = front.incident_clicks
        if clicks is None:
            front.outbox.ephemeral(
                click.channel,
                click.user,
                "Incident buttons are not available: INCIDENT_CHANNEL is not set.",
                click.thread_ts,
            )
            return
        front.pool.submit(clicks.handle, click)

    # every modal's view_submission: (callback_id, the front end's modal attribute, the
    # field a failure is shown under, what was not done)
    modals = (
        (CALLBACK_ID, "maintenance_modal", MATCHERS, "nothing made"),
        (REASON_CALLBACK_ID, "reason_modal", REASON, "nothing decided"),
        (SNOOZE_CALLBACK_ID, "snooze_modal", DURATION, "nothing changed"),
        (DECLARE_CALLBACK_ID, "declare_modal", TITLE, "nothing declared"),
    )
    for callback_id, attribute, where, undone in modals:
        app.view(callback_id)(_submission(front, attribute, where, undone))

    @app.event("app_uninstalled")
    @app.event("tokens_revoked")
    def on_gone(body: dict[str, Any], event: dict[str, Any]) -> None:
        kind = str(event.get("type"))
        if kind == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
            log.info("Slack revoked user tokens only; the bot token still works")
            return
        log.warning(
            "Slack says %s for team %s: opsbot stops calling Slack until it is restarted "
            "with a new SLACK_BOT_TOKEN",
            kind,
            body.get("team_id"),
        )
        front.workspace_gone(kind)

    # Quiet no-ops for the payloads opsbot does not use (reactions, joins,
    # other apps' buttons...): without them Bolt logs a multi-line suggestion for each one.
    # Registered last, so they match only what no listener above took.
    anything = re.compile(".*")

    @app.event(anything)
    def on_other_event(event: dict[str, Any]) -> None:
        log.debug("ignoring Slack event %s", event.get("type"))

    @app.action(anything)
    @app.view(anything)
    @app.shortcut(anything)
    def on_other_interaction(ack: Any, body: dict[str, Any]) -> None:
        ack()
        log.info("ignoring a Slack %s payload opsbot does not handle", body.get("type"))
