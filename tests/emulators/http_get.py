"""A local HTTP server for emulated read-only APIs (Prometheus, Loki): every GET is handed to
`answer(path, params, headers)` and its (status, body) is sent back, JSON for a dict or list,
plain text for a string."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = Callable[[str, dict[str, str], dict[str, str]], tuple[int, Any]]


@contextmanager
def serve_get(answer: Answer) -> Iterator[str]:
    """The base URL of a server on 127.0.0.1 answering GETs with `answer`, while in the block."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            code, body = answer(parts.path, params, headers)
            text = isinstance(body, str)
            raw = (body if text else json.dumps(body)).encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain" if text else "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
