"""Request body caps for every HTTP endpoint, enforced before and while the body is read.

`BodyLimits` is an ASGI middleware around the whole application. A request whose
`Content-Length` is over its path's cap is answered 413 before one byte of the body is read;
a body without a length (chunked) is counted as the application reads it, and the read that
crosses the cap answers 413 and unwinds the application (`BodyTooLarge`), so no endpoint
ever holds more than its cap. Refusals say `Connection: close`: the server does not go on
receiving the rest of a body nobody wants.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    """Raised inside the application when its request body crossed the cap (already
    answered 413); the middleware stops it there."""


@dataclass(frozen=True)
class Cap:
    size: int
    setting: str  # the environment variable that changes it, named in the refusal


@dataclass(frozen=True)
class Limits:
    default: Cap
    paths: Mapping[str, Cap] = field(default_factory=dict)  # exact request paths

    def for_path(self, path: str) -> Cap:
        return self.paths.get(path, self.default)


async def _refuse(send: Send, status: int, message: str) -> None:
    """Answer `status` (counted by bot/http/metrics.py, which wraps this middleware)."""
    body = json.dumps({"error": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == b"content-length":
            return bytes(value)
    return None


class BodyLimits:
    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path") or "")
        cap = self.limits.for_path(path)
        too_large = f"request body larger than {cap.size} bytes (set {cap.setting} to change)"
        declared = _declared_length(scope)
        if declared is not None:
            text = declared.strip()
            if not text.isdigit():
                await _refuse(send, 400, "Content-Length is not a number")
                return
            if int(text) > cap.size:
                await _refuse(send, 413, too_large)
                return
        received = 0
        answered = False  # we sent the 413: whatever the application sends is dropped
        started = False

        async def capped_receive() -> Message:
            nonlocal received, answered
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > cap.size:
                    if not started and not answered:
                        answered = True
                        await _refuse(send, 413, too_large)
                    raise BodyTooLarge(too_large)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, capped_receive, guarded_send)
        except BodyTooLarge:
            if not answered:  # the response had started: nothing to say, drop the connection
                raise
