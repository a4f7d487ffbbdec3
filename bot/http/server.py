"""Run an ASGI app with uvicorn in a background thread (production server, not a dev one)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import uvicorn

log = logging.getLogger(__name__)


class HttpServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="opsbot-http", daemon=True)

    def start(self, timeout: float = 15.0) -> int:
        """Start and wait until listening; returns the bound port."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise OSError(
                    f"the HTTP server could not start on {self.server.config.host}:"
                    f"{self.server.config.port} (port in use? set PORT)"
                )
            if time.monotonic() > deadline:
                raise OSError("the HTTP server did not start in time")
            time.sleep(0.02)
        sockets = [s for server in self.server.servers for s in server.sockets]
        port = sockets[0].getsockname()[1] if sockets else self.server.config.port
        log.info("HTTP endpoints on http://%s:%s", self.server.config.host, port)
        return port

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
