"""An emulator of the Anthropic Messages API on 127.0.0.1, for ANTHROPIC_BASE_URL.

Tests script the replies: each `POST /v1/messages` takes the next step from the script. A
step is a `Reply` (content blocks), an `Error` (HTTP status and error type) or a `Hang`
(sleep longer than the client's timeout). Every request body is recorded, so tests can check
what the model was sent (system prompt, tools, cache_control, redaction).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: list[dict[str, Any]]
    stop_reason: str | None = None
    usage: tuple[int, int] = (10, 5)  # input and output tokens the response reports

    @classmethod
    def text(cls, text: str) -> Reply:
        return cls([{"type": "text", "text": text}], "end_turn")

    @classmethod
    def tool(cls, name: str, args: dict[str, Any], text: str | None = None) -> Reply:
        blocks: list[dict[str, Any]] = []
        if text:
            blocks.append({"type": "text", "text": text})
        blocks.append(
            {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:20]}",
                "name": name,
                "input": args,
            }
        )
        return cls(blocks, "tool_use")


@dataclass
class Error:
    status: int
    kind: str = "api_error"
    message: str = "emulated failure"


@dataclass
class Hang:
    seconds: float


@dataclass
class AnthropicEmulator:
    script: deque[Any] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    default: Any = None

    def __post_init__(self) -> None:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                if status >= 500 or status == 429:
                    self.send_header("x-should-retry", "false")
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/messages":
                    self._send(
                        404,
                        {
                            "type": "error",
                            "error": {"type": "not_found_error", "message": self.path},
                        },
                    )
                    return
                emulator.requests.append(body)
                emulator.headers.append({k.lower(): v for k, v in self.headers.items()})
                if body.get("stream"):
                    self._send(
                        400,
                        {
                            "type": "error",
                            "error": {
                                "type": "invalid_request_error",
                                "message": "the emulator does not stream",
                            },
                        },
                    )
                    return
                step = emulator.script.popleft() if emulator.script else emulator.default
                if step is None:
                    self._send(
                        500,
                        {
                            "type": "error",
                            "error": {"type": "api_error", "message": "emulator script is empty"},
                        },
                    )
                    return
                if isinstance(step, Hang):
                    time.sleep(step.seconds)
                    step = Reply.text("too late")
                if isinstance(step, Error):
                    self._send(
                        step.status,
                        {"type": "error", "error": {"type": step.kind, "message": step.message}},
                    )
                    return
                self._send(
                    200,
                    {
                        "id": f"msg_{uuid.uuid4().hex[:20]}",
                        "type": "message",
                        "role": "assistant",
                        "model": body.get("model", "claude-emulated"),
                        "content": step.content,
                        "stop_reason": step.stop_reason,
                        "stop_sequence": None,
                        "usage": {
                            "input_tokens": step.usage[0],
                            "output_tokens": step.usage[1],
                            "cache_creation_input_tokens": 0,
                            "cache_read_input_tokens": 0,
                        },
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def settings(self) -> dict[str, Any]:
        """Settings overrides that point opsbot's model layer at this emulator, no retries."""
        return {
            "anthropic_api_key": "sk-ant-test-key-0000000000",
            "anthropic_base_url": self.url,
            "llm_max_retries": 0,
        }

    def start(self) -> AnthropicEmulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def push(self, *steps: Any) -> None:
        self.script.extend(steps)
