"""A local HTTP server for emulated APIs that take requests with bodies (GitHub, GitLab): every
request is handed to `answer(Request)` and its (status, body) is sent back, JSON for a dict or
list, nothing for None (204), plain text for a string. `delay` seconds before each answer
lets a test see a client's timeout."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as sent: percent-escapes kept (GitLab's project paths hold %2F)
    params: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


Answer = Callable[[Request], tuple[int, Any]]


@contextmanager
def serve(answer: Answer, delay: Callable[[], float] = lambda: 0.0) -> Iterator[str]:
    """The base URL of a server on 127.0.0.1 answering with `answer`, while in the block."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def _any(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                self.command,
                parts.path,
                {k: v[-1] for k, v in parse_qs(parts.query).items()},
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            time.sleep(delay())
            code, body = answer(request)
            raw = (
                b""
                if body is None
                else (body if isinstance(body, str) else json.dumps(body)).encode()
            )
            self.send_response(code)
            if body is not None:
                kind = "text/plain" if isinstance(body, str) else "application/json; charset=utf-8"
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
