"""`GET /prompts/{name}`: LLM applications fetch their live prompt.

`?label=production` (the default) or `?version=3`; `Authorization: Bearer $PROMPTS_API_TOKEN`
(compared in constant time). The answer carries the version, template, variables and config,
with the version's SHA-256 as ETag; `If-None-Match` with that ETag gets a bodyless 304.
`Cache-Control: no-cache` tells clients to revalidate each time, and the server's own cache is
revalidated against the database on every request (one indexed read of the prompt's change
counter), so a label move or rollback made by any process is served on the very next request.

This endpoint has a throughput goal (bench/prompt_serving.py), so it is a plain ASGI app:
measured in process, Starlette's Request/Response objects cost ~35 µs per request, the raw
ASGI path ~8 µs, and the cached lookup with its revalidation read ~4 µs. The read runs inline
on the event loop because a thread hop would cost more than the read itself.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.routing import Route

from bot.http.deps import HttpDeps
from core.errors import OpsbotError

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Send = Any
Receive = Any

_JSON = (b"content-type", b"application/json")
_NO_CACHE = (b"cache-control", b"no-cache")
_CHALLENGE = (b"www-authenticate", b'Bearer realm="opsbot prompts"')


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison: any listed tag (W/ or not) equal to ours, or `*`."""
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    if status != 304:  # a 304 must not claim a length other than the 200's (RFC 9110)
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, message: str, *extra: tuple[bytes, bytes]) -> None:
    body = json.dumps({"error": message}).encode()
    await _send(send, status, body, [_JSON, *extra])


class PromptEndpoint:
    """The ASGI app behind the route (Starlette passes `path_params` in the scope)."""

    def __init__(self, server: Any, token: str) -> None:
        self.server = server
        self.expected = token.encode("utf-8")

    def _authorised(self, header: bytes | None) -> bool:
        if not header:
            return False
        scheme, _, given = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        auth = if_none_match = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                auth = value
            elif key == b"if-none-match":
                if_none_match = value
        if not self._authorised(auth):
            await _error(send, 401, "missing or invalid bearer token", _CHALLENGE)
            return
        params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        name = scope["path_params"]["name"]
        try:
            served = self.server.fetch(
                name, label=params.get("label") or None, version=params.get("version") or None
            )
        except OpsbotError:
            raise  # unknown prompt 404, bad reference 400: bot.http.app.error_response
        except Exception as exc:  # the database is down or broken: say so, do not guess
            log.exception("serving prompt %s failed", name)
            await _error(send, 503, f"prompt registry unavailable: {type(exc).__name__}")
            return
        headers = [(b"etag", served.etag_bytes), _NO_CACHE]
        if if_none_match and etag_matches(if_none_match.decode("latin-1"), served.etag):
            await _send(send, 304, b"", headers)
            return
        await _send(send, 200, served.body, [*headers, _JSON])


class ServingOff:
    """While PROMPTS_API_TOKEN is unset the endpoint answers 404 and says why."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _error(send, 404, "prompt serving is off: set PROMPTS_API_TOKEN to enable it")


def prompts_routes(deps: HttpDeps) -> list[Route]:
    token = deps.settings.prompts_api_token
    secret = token.get_secret_value() if token is not None else ""
    if not secret:
        return [Route("/prompts/{name}", ServingOff(), methods=["GET"])]
    endpoint = PromptEndpoint(deps.prompt_server(), secret)
    return [Route("/prompts/{name}", endpoint, methods=["GET"])]
