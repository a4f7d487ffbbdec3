"""`opsbot run`: storage, HTTP endpoints, monitors, and the chat front end for the mode."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.errors import OpsbotError

if TYPE_CHECKING:
    from bot.children import ChildSettings
    from bot.runtime import Runtime
    from bot.scheduler import OpsScheduler

log = logging.getLogger(__name__)


class Terminated(OpsbotError):
    """SIGTERM arrived while the console was reading a line (see `_raise_on_sigterm`)."""


def _raise_on_sigterm() -> None:
    """The console blocks in readline on the main thread, where a flag would never be looked
    at; SIGTERM raises there instead, so `serve` shuts down in order (scheduler, HTTP, Slack
    feed, ingest) and exits 0, as it does headless, rather than dying by the signal."""

    def _handler(signum: int, _frame: Any) -> None:
        raise Terminated(f"signal {signum}")

    signal.signal(signal.SIGTERM, _handler)


def _wait_for_signal() -> None:
    stop = threading.Event()

    def _handler(signum: int, _frame: Any) -> None:
        log.info("received signal %s, shutting down", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    while not stop.wait(1.0):
        pass


class BackgroundIngest:
    """Index the runbooks at start in a child `opsbot ingest` process (bot/children.py).

    A child keeps the embedding model and the ingest's peak memory out of the long-lived
    server (which loads the model only when someone searches), never delays start-up, and
    can be stopped at shutdown without tearing down native threads mid-run. Ingest is
    incremental by content hash, so an interrupted run simply resumes at the next start.
    """

    def __init__(self, parent: ChildSettings) -> None:
        self.parent = parent
        self.proc: subprocess.Popen[str] | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        from bot.children import start_child

        knowledge = self.parent.settings.resolved_knowledge_dir()
        self.proc = start_child(self.parent, "ingest", "--quiet", "--json", str(knowledge))
        self.thread = threading.Thread(target=self._report, name="opsbot-ingest", daemon=True)
        self.thread.start()

    def _report(self) -> None:
        assert self.proc is not None
        out, err = self.proc.communicate()
        if self.proc.returncode == 0:
            log.info("runbooks indexed: %s", out.strip()[:500])
        elif self.proc.returncode < 0:
            log.info(
                "runbook ingest stopped (signal %s); it resumes at the next start",
                -self.proc.returncode,
            )
        else:
            detail = (err.strip().splitlines() or ["no output"])[-1]
            log.error("runbook ingest failed (exit %s): %s", self.proc.returncode, detail)

    def stop(self, timeout: float = 10.0) -> None:
        from bot.children import stop

        if self.proc is not None:
            stop(self.proc, timeout)
        if self.thread is not None:
            self.thread.join(timeout=timeout)


def serve(runtime: Runtime, *, interactive: bool) -> int:
    """The assembly of `opsbot run` (a composition root: it takes the container and hands
    each front end its own typed dependencies)."""
    from bot.http.app import create_app
    from bot.http.server import HttpServer, listen_socket
    from bot.metrics import set_ready

    settings = runtime.settings
    # the port first: a second `opsbot run` on a busy port stops here, in one line
    sock = listen_socket(settings.host, settings.port)
    from bot.slack.config import check_credentials, wants_slack

    slack_wanted = wants_slack(settings)
    if slack_wanted:
        check_credentials(settings)  # a half-configured Slack stops here, naming what is missing
    _ = runtime.engine  # migrate before anything listens
    from bot.config_log import record_start

    record_start(runtime.changes, settings, runtime.terminal.label)
    # executions whose process died: outcome unknown, never re-run; approved but never
    # started: run now (exactly once)
    for line in runtime.approval_flow.recover(run_never_started=True):
        print(f"opsbot: recovered approval {line}", file=sys.stderr, flush=True)
    slack = None
    if slack_wanted:
        slack = runtime.slack
        slack.start()  # auth.test: a wrong token or SLACK_API_URL stops the start here
    _ = runtime.agent
    ingest = BackgroundIngest(runtime.child_settings())
    ingest.start()
    mode = settings.slack_mode
    routes: list[Any] = []
    if slack is not None and mode == "http":
        routes.extend(slack.routes())  # POST /slack/events
    from bot.http.prompts import prompts_routes

    http = runtime.http_deps()

    routes.extend(prompts_routes(http))
    from bot.http.alertmanager import alertmanager_routes

    routes.extend(alertmanager_routes(http))
    from bot.http.changes import change_routes

    routes.extend(change_routes(http))
    from bot.http.otlp import otlp_routes

    routes.extend(otlp_routes(http))
    from bot.http.scores import score_routes
    from bot.llm_series import install_llm_series

    window = timedelta(minutes=settings.llm_metrics_window_minutes)
    install_llm_series(lambda: runtime.llm_metrics, window, settings.llm_metrics_max_series)

    routes.extend(score_routes(http))

    from bot.http.modelperf import modelperf_routes

    routes.extend(modelperf_routes(http))
    server = HttpServer(create_app(http, routes), settings.host, settings.port, sock)
    port = server.start()
    if slack is not None and settings.incident_channel:
        # root messages and thread notes in INCIDENT_CHANNEL; the incident service's outbox
        # delivers every change, so the Slack buttons do not echo their own changes
        runtime.incidents.add_notifier(slack.incident_notifier(runtime.incidents, echo=False))
    scheduler = _start_scheduler(runtime, mode)
    set_ready(True)
    print(
        f"opsbot running: mode={mode}, llm={'anthropic' if settings.use_anthropic else 'offline'}, "
        f"http=http://{settings.host}:{port} (healthz, metrics)",
        file=sys.stderr,
        flush=True,
    )
    try:
        if mode == "console":
            if interactive:
                from bot.console import Console

                _raise_on_sigterm()
                try:
                    Console(runtime.console_deps()).loop()
                except Terminated:
                    log.info("received SIGTERM, shutting down")
            else:
                log.info("no Slack credentials and no terminal: running headless")
                _wait_for_signal()
        else:
            if mode == "socket" and slack is not None:
                slack.start_socket_mode()
            _wait_for_signal()
    finally:
        set_ready(False)
        from bot.children import stop_children

        stop_children()  # a drift check in its child: the scheduler waits for its job
        scheduler.stop()
        server.stop()
        if slack is not None:
            slack.approval_feed.stop()  # finish a delivery before the checkpointer closes
        ingest.stop()
    return 0


def _start_scheduler(runtime: Runtime, mode: str) -> OpsScheduler:
    """Monitors, approval expiry and incident delivery; in console mode incidents print here."""
    from bot.scheduler import OpsScheduler

    on_expired: Callable[[Any, Any], None] | None = None
    if mode == "console":
        from bot.console import expired_notice
        from bot.console.incidents import ConsoleNotifier

        runtime.incidents.add_notifier(ConsoleNotifier())
        on_expired = expired_notice()

    # in Slack mode the approval feed resumes an expired conversation and posts the answer

    scheduler = OpsScheduler(runtime.scheduler_deps(), on_expired_turn=on_expired)
    scheduler.start()
    return scheduler
