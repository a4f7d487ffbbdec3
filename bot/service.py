"""`opsbot run`: storage, HTTP endpoints, monitors, and the chat front end for the mode."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

log = logging.getLogger(__name__)


def _wait_for_signal() -> None:
    stop = threading.Event()

    def _handler(signum: int, _frame: Any) -> None:
        log.info("received signal %s, shutting down", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    while not stop.wait(1.0):
        pass


def _ingest_in_background(runtime: Any) -> threading.Thread:
    """Index the runbooks without delaying start-up (first start: seconds; later: ms)."""

    def work() -> None:
        try:
            report = runtime.ingest_runbooks()
        except Exception as exc:  # search then says the index is empty; start-up goes on
            log.error("runbook ingest failed: %s: %s", type(exc).__name__, exc)
            return
        log.info("%s", report.summary())

    thread = threading.Thread(target=work, name="opsbot-ingest", daemon=True)
    thread.start()
    return thread


def serve(runtime: Any, *, interactive: bool) -> int:
    from bot.http.app import create_app
    from bot.http.server import HttpServer
    from bot.metrics import set_ready

    settings = runtime.settings
    from bot.slack.config import check_credentials, wants_slack

    slack_wanted = wants_slack(settings)
    if slack_wanted:
        check_credentials(settings)  # a half-configured Slack stops here, naming what is missing
    _ = runtime.engine  # migrate before anything listens
    slack = None
    if slack_wanted:
        slack = runtime.slack
        slack.start()  # auth.test: a wrong token or SLACK_API_URL stops the start here
    _ = runtime.agent
    ingest = _ingest_in_background(runtime)
    mode = settings.slack_mode
    routes: list[Any] = []
    if slack is not None and mode == "http":
        routes.extend(slack.routes())  # POST /slack/events
    from bot.http.prompts import prompts_routes

    routes.extend(prompts_routes(runtime))
    from bot.http.alertmanager import alertmanager_routes

    routes.extend(alertmanager_routes(runtime))
    server = HttpServer(create_app(runtime, routes), settings.host, settings.port)
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

                Console(runtime).loop()
            else:
                log.info("no Slack credentials and no terminal: running headless")
                _wait_for_signal()
        else:
            if mode == "socket" and slack is not None:
                slack.start_socket_mode()
            _wait_for_signal()
    finally:
        set_ready(False)
        scheduler.stop()
        server.stop()
        # native embedding threads must not be torn down mid-run at interpreter exit
        ingest.join(timeout=120)
    return 0


def _start_scheduler(runtime: Any, mode: str) -> Any:
    """Monitors, approval expiry and incident delivery; in console mode incidents print here."""
    from bot.scheduler import OpsScheduler

    on_expired = None
    if mode == "console":
        from bot.console import render_turn
        from bot.incidents.console import ConsoleNotifier

        runtime.incidents.add_notifier(ConsoleNotifier())

        def on_expired(_view: Any, turn: Any) -> None:
            print(render_turn(turn), flush=True)

    else:
        on_expired = runtime.slack.on_expired_turn  # card updated, answer in the thread

    scheduler = OpsScheduler(runtime, on_expired_turn=on_expired)
    scheduler.start()
    return scheduler
