"""A tiny scripted HTTP server on 127.0.0.1 (an endpoint to probe, a Prometheus API)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: Any = "ok"
    reason: str | None = None
    delay: float = 0.0


@dataclass
class Scripted:
    answers: dict[str, Answer] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                scripted.hits.append((path, {k.lower(): v for k, v in self.headers.items()}))
                answer = scripted.answers.get(path, Answer(404, "no such path"))
                if answer.delay:
                    time.sleep(answer.delay)
                raw = (
                    answer.body.encode()
                    if isinstance(answer.body, str)
                    else json.dumps(answer.body).encode()
                )
                self.send_response(answer.status, answer.reason)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/", userinfo: str = "") -> str:
        auth = f"{userinfo}@" if userinfo else ""
        return f"http://{auth}127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
