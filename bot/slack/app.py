"""The Slack front end of one opsbot process: credentials, Web API client, Bolt app, pools.

`SlackFrontEnd(deps)` (a `SlackDeps`, bot/slack/deps.py) is cheap (no network). `start()` checks the credentials, calls
`auth.test` (a wrong token or an unreachable SLACK_API_URL stops the start with a clear
message), learns the bot's own user id (so it never answers itself and can never approve),
and builds the Bolt `App` with our Web API client and a listener executor. Then either
`routes()` gives the `/slack/events` route for HTTP mode, or `start_socket_mode()` connects.

Two thread pools: the intake executor (also Bolt's listener executor) dispatches queued
events through Bolt and does the short work after each ack (dedupe, placeholder), and the
worker pool (SLACK_WORKERS) runs agent turns, lookups and approval decisions, so a slow turn
never delays an ack. One more thread, the approval feed, shows approval changes made by any
process (a click here or on another replica, `opsbot approve`, an expiry) in their threads.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Any

from bot.slack.approvals import ButtonSigner
from bot.slack.client import make_web_client
from bot.slack.config import SlackCredentials, check_credentials
from bot.slack.conversation import BotIdentity, Conversations, KeyedLocks
from bot.slack.dedupe import EventDedupe
from bot.slack.deps import SlackDeps
from bot.slack.outbox import ChannelPacer, Outbox, slack_error
from bot.slack.usergroups import UsergroupMembers
from core.errors import StartupError

log = logging.getLogger(__name__)

# The intake only does short work (dedupe, placeholder); every extra Python thread is one more
# contender for the GIL that the ack path needs (bench/slack_ack.py: 8 -> 4 cut ack p99 by a
# third at 20 concurrent events on 2 cores, with the same time to reply).
INTAKE_THREADS = 4
# Acks are answered on the event loop thread while agent turns run Python on worker threads;
# a shorter GIL switch interval (default 5 ms) bounds how long the loop waits for its turn.
SWITCH_INTERVAL_SECONDS = 0.001


class _ClientTokenNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class SlackFrontEnd:
    def __init__(self, deps: SlackDeps) -> None:
        self.deps = deps
        self.settings = deps.settings
        self._started = False
        self._lock = threading.Lock()
        self._socket: Any = None
        self.identity: BotIdentity | None = None  # set by start()
        self.app: Any = None  # the Bolt App, built by start()
        self.incident_clicks: Any = None  # set by incident_notifier()
        self.reason_modal: Any = None  # set with approval_clicks (bot/slack/reasons.py)
        self.snooze_modal: Any = None  # set by incident_notifier() (bot/slack/snooze.py)

    # ------------------------------------------------------------------ lazily built parts
    @cached_property
    def credentials(self) -> SlackCredentials:
        return check_credentials(self.settings)

    @cached_property
    def client(self) -> Any:
        return make_web_client(self.credentials.bot_token, self.settings.slack_api_url)

    def workspace_gone(self, reason: str) -> None:
        """The app was uninstalled or its bot token revoked: stop calling Slack."""
        self.client.revoke(reason)

    @cached_property
    def signer(self) -> ButtonSigner:
        return ButtonSigner(self.credentials.button_secret)

    @cached_property
    def oncall_group(self) -> UsergroupMembers | None:
        group = self.settings.oncall_usergroup
        return UsergroupMembers(self.client, group) if group else None

    def oncall_members(self) -> set[str]:
        """Members of ONCALL_USERGROUP (cached); empty when no group is configured."""
        group = self.oncall_group
        return group() if group is not None else set()

    @cached_property
    def pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(
            max_workers=self.settings.slack_workers, thread_name_prefix="opsbot-slack"
        )

    @cached_property
    def intake(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=INTAKE_THREADS, thread_name_prefix="opsbot-bolt")

    @cached_property
    def locks(self) -> KeyedLocks:
        return KeyedLocks()

    @cached_property
    def outbox(self) -> Outbox:
        approvals = self.deps.approvals
        return Outbox(self.client, self.signer, approvals.attach_message, approvals.has_message)

    # ------------------------------------------------------------------ start
    def start(self) -> BotIdentity:
        """Check credentials and reach Slack; raise StartupError naming what is wrong."""
        with self._lock:
            if self._started and self.identity is not None:
                return self.identity
            credentials = self.credentials
            try:
                auth = self.client.auth_test()
            except Exception as exc:
                error = slack_error(exc)
                if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
                    raise StartupError(
                        f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token "
                        "(xoxb-...) from your app's OAuth & Permissions page"
                    ) from None
                raise StartupError(
                    f"cannot reach the Slack Web API at {self.settings.slack_api_url} "
                    f"(SLACK_API_URL): {error}"
                ) from None
            identity = BotIdentity(
                user_id=str(auth["user_id"]),
                bot_id=auth.get("bot_id"),
                team_id=str(auth.get("team_id") or ""),
            )
            self.identity = identity
            # the bot can never approve anything, whatever ONCALL_USERS says
            self.deps.approvals.policy.bot_users.add(identity.user_id)
            self.app = self._build_app(credentials)
            # build the services now: listeners run on many threads at once, and two threads
            # racing to create the per-conversation locks would each get their own
            parts = (
                "locks",
                "pool",
                "outbox",
                "deduper",
                "conversations",
                "command",
                "share_clicks",
                "feedback_clicks",
                "oncall_group",
                "approval_feed",
                "home_tab",
            )
            for part in parts:
                getattr(self, part)
            _ = self.approval_clicks
            self.approval_feed.start()
            self.approval_feed.kick()  # what was decided while no front end ran
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_SECONDS))
            self._started = True
            log.info(
                "Slack %s mode as %s (bot user %s, team %s)",
                credentials.mode,
                auth.get("user"),
                identity.user_id,
                identity.team_id,
            )
            self._check_oncall_group()
            return identity

    def _check_oncall_group(self) -> None:
        if self.oncall_group is None:
            if not self.settings.oncall_users:
                log.warning(
                    "neither ONCALL_USERS nor ONCALL_USERGROUP is set: nobody can approve actions in Slack"
                )
            return
        try:
            members = self.oncall_group()
            log.info("on-call group %s: %d members", self.oncall_group.group_id, len(members))
        except Exception as exc:  # not fatal: approvals will say the group cannot be read
            log.warning("%s", exc)

    def _build_app(self, credentials: SlackCredentials) -> Any:
        from slack_bolt import App

        from bot.slack.handlers import register

        # Bolt reads SLACK_BOT_TOKEN itself and then warns that our client's token wins,
        # which is exactly what we want: do not alarm operators with it
        logging.getLogger("slack_bolt.App").addFilter(_ClientTokenNotice())

        app = App(
            client=self.client,
            signing_secret=credentials.signing_secret or "",
            token_verification_enabled=True,
            request_verification_enabled=credentials.mode == "http",
            ignoring_self_events_enabled=True,
            process_before_response=False,
            raise_error_for_unhandled_request=False,
            listener_executor=self.intake,
            oauth_settings=None,
            name="opsbot",
        )
        register(app, self)
        return app

    # ------------------------------------------------------------------ services
    @cached_property
    def deduper(self) -> EventDedupe:
        return self.deps.dedupe

    @cached_property
    def conversations(self) -> Conversations:
        if self.identity is None:
            raise RuntimeError("SlackFrontEnd.start() must run before handling events")
        return Conversations(
            self.deps.agent,
            self.outbox,
            self.deduper,
            self.identity,
            self.pool,
            self.locks,
            typed=lambda incoming, placeholder: self.typed_decisions.handle(incoming, placeholder),
        )

    @cached_property
    def typed_decisions(self) -> Any:
        from bot.approvals.typed import TypedDecisions
        from bot.slack.typed import TypedInSlack

        return TypedInSlack(TypedDecisions(self.deps.flow), self.approval_clicks, self.outbox)

    @cached_property
    def command(self) -> Any:
        from bot.slack.commands import OpsCommand
        from bot.slack.private import PrivateAnswers

        private = PrivateAnswers(self.deps.agent, self.outbox, self.signer)
        return OpsCommand(
            self.deps.agent, self.deps.toolbox, self.conversations, self.pool, private,
            self.swap_requests, maintenance=self.maintenance_modal, declare=self.declare_modal,
        )  # fmt: skip

    @cached_property
    def swap_requests(self) -> Any:
        """`/ops oncall swap` and its Take button (bot/slack/swaps.py); None without a store."""
        from bot.slack.swaps import SwapRequests

        swaps = self.deps.swaps
        return SwapRequests(swaps, self.outbox, self.signer) if swaps is not None else None

    @cached_property
    def maintenance_modal(self) -> Any:
        """`/ops maintenance` (None when this process offers no maintenance windows)."""
        from bot.slack.maintenance import MaintenanceModal

        factory = self.deps.maintenance
        return MaintenanceModal(factory, self.client, self.outbox) if factory else None

    @cached_property
    def home_tab(self) -> Any:
        """The App Home (bot/slack/home_tab.py); None when this process has no home data."""
        from bot.slack.home_tab import HomeTab

        sources = self.deps.home
        if sources is None:
            return None
        return HomeTab(sources, self.client, self.signer, self.approval_clicks)

    @cached_property
    def declare_modal(self) -> Any:
        """`/ops declare` (None when this process cannot open incidents)."""
        from bot.slack.declare import DeclareModal

        declare = self.deps.declare
        return DeclareModal(declare, self.client, self.outbox) if declare else None

    @cached_property
    def share_clicks(self) -> Any:
        from bot.slack.share import ShareClicks

        return ShareClicks(self.outbox, self.signer, self.deduper)

    @cached_property
    def feedback_clicks(self) -> Any:
        from bot.slack.feedback import FeedbackClicks

        return FeedbackClicks(self.outbox, self.signer, self.deps.scores)

    @cached_property
    def approval_feed(self) -> Any:
        from bot.slack.approval_feed import ApprovalFeed

        return ApprovalFeed(
            self.deps.approvals, self.deps.flow, self.outbox, self.locks, signer=self.signer
        )

    @cached_property
    def approval_clicks(self) -> Any:
        from bot.slack.decisions import ApprovalClicks
        from bot.slack.reasons import ReasonModal

        clicks = ApprovalClicks(
            self.deps.approvals,
            self.deps.flow,
            self.outbox,
            self.signer,
            self.locks,
            kick=self.approval_feed.kick,
        )
        self.reason_modal = ReasonModal(clicks, self.client, self.signer, self.pool)
        clicks.ask_reason = self.reason_modal.open
        return clicks

    def authorise_incident_action(self, user: str) -> None:
        """Raise ApprovalError unless `user` may press Acknowledge / Resolve / Snooze: an
        on-call engineer (the approvers' check), when INCIDENT_ACTIONS_ONCALL_ONLY is on."""
        self.deps.approvals.check_oncall(user, "acknowledge, resolve or snooze incidents")

    def incident_notifier(
        self, actions: Any = None, interval: float = 1.0, echo: bool = True
    ) -> Any:
        """The IncidentNotifier for INCIDENT_CHANNEL (None when it is not set). `actions` is
        the IncidentActions the Acknowledge/Resolve/Snooze buttons call. `echo=False` when
        `actions` announces its own changes through this notifier (opsbot's incident
        service does): then clicks do not re-render or add notes themselves."""
        from bot.slack.incidents import IncidentClicks, SlackIncidentNotifier
        from bot.slack.users import UserNames

        channel = self.settings.incident_channel
        if not channel:
            return None
        notifier = SlackIncidentNotifier(
            self.client,
            channel,
            self.signer,
            pacer=ChannelPacer(interval),
            actions=actions,
            names=UserNames(self.client),
        )
        authorise = (
            self.authorise_incident_action if self.settings.incident_actions_oncall_only else None
        )
        self.incident_clicks = IncidentClicks(
            notifier, self.signer, self.outbox, echo=echo, authorise=authorise
        )
        from bot.slack.snooze import SnoozeModal

        self.snooze_modal = SnoozeModal(self.incident_clicks, self.client)
        self.incident_clicks.ask_snooze = self.snooze_modal.open
        self.approval_clicks.incident_update = notifier.refresh if echo else None
        return notifier

    # ------------------------------------------------------------------ transports
    def enqueue_event(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        """Queue an Events API payload whose signature the HTTP route has checked; returns at
        once (the ack must not wait for anything)."""
        self.intake.submit(self._dispatch_verified, body, headers)

    def _dispatch_verified(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        from slack_bolt.request import BoltRequest

        try:
            # "socket_mode" tells Bolt the request is already verified and parsed
            bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
            response = self.app.dispatch(
                BoltRequest(body=body, headers=bolt_headers, mode="socket_mode")
            )
        except Exception:
            log.exception("could not dispatch a Slack event")
            return
        if response.status == 404:
            raw = body.get("event")
            event = raw if isinstance(raw, dict) else {}
            log.info("no listener for Slack event %s; ignored", event.get("type"))

    def routes(self) -> list[Any]:
        from bot.slack.http import slack_routes

        return slack_routes(self)

    def start_socket_mode(self) -> None:
        from bot.slack.socket_mode import SocketModeRunner

        self._socket = SocketModeRunner(self.app, self.credentials.app_token or "", self.client)
        self._socket.connect()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        feed = self.__dict__.get("approval_feed")
        if feed is not None:
            feed.stop()
        for name in ("intake", "pool"):
            executor = self.__dict__.get(name)
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
