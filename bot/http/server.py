"""Run an ASGI app with uvicorn in a background thread (production server, not a dev one).

The listening socket is bound by us, not by uvicorn: a busy port is one clear StartupError
(uvicorn would log and `sys.exit` inside its thread), and `opsbot run` binds it first, before
migrations and Slack, so a second instance on the same port stops at once.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import uvicorn

from core.errors import StartupError

log = logging.getLogger(__name__)

BACKLOG = 2048  # uvicorn's default


class PortUnavailable(StartupError):
    """HOST:PORT cannot be listened on (in use, not an address of this machine, privileged)."""


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening; raises PortUnavailable saying why."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise PortUnavailable(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="set HOST to an address of this machine",
        ) from exc
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="another process (another opsbot?) holds it: stop it or set PORT",
        ) from exc
    return sock


class HttpServer:
    def __init__(self, app: Any, host: str, port: int, sock: socket.socket | None = None) -> None:
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
        self.sock = sock
        self.thread = threading.Thread(target=self._run, name="opsbot-http", daemon=True)

    def _run(self) -> None:
        assert self.sock is not None
        self.server.run(sockets=[self.sock])

    def start(self, timeout: float = 15.0) -> int:
        """Start and wait until listening; returns the bound port. Raises PortUnavailable."""
        if self.sock is None:
            self.sock = listen_socket(self.server.config.host, self.server.config.port)
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise StartupError(
                    f"the HTTP server on {self.server.config.host}:{self.server.config.port} "
                    "stopped while starting; the log says why"
                )
            if time.monotonic() > deadline:
                raise StartupError("the HTTP server did not start in time")
            time.sleep(0.02)
        port = int(self.sock.getsockname()[1])
        log.info("HTTP endpoints on http://%s:%s", self.server.config.host, port)
        return port

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.sock is not None:
            self.sock.close()
