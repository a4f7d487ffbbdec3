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


def serve(runtime: Any, *, interactive: bool) -> int:
    from bot.http.app import create_app
    from bot.http.server import HttpServer
    from bot.metrics import UP

    settings = runtime.settings
    _ = runtime.engine  # migrate before anything listens
    _ = runtime.agent
    mode = settings.slack_mode
    routes: list[Any] = []
    server = HttpServer(create_app(runtime, routes), settings.host, settings.port)
    port = server.start()
    UP.set(1)
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
            raise NotImplementedError(f"Slack {mode} mode is not wired yet")
    finally:
        UP.set(0)
        server.stop()
    return 0
