"""Counting every HTTP request in `opsbot_http_requests_total{route,status}`.

`RequestMetrics` is the outermost ASGI middleware, so it sees every answer: the routes',
the body caps' refusals (bot/http/limits.py), 404s and 405s, and a 500 when an application
raised before answering. The route label is the matching route's path template
(`/prompts/{name}`, never the prompt's name), or `other` for a path no route has, so
arbitrary request paths never become labels. Matching is done here, before the
application runs, with the routes' own patterns: a few microseconds per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.metrics import HTTP_REQUESTS

OTHER = "other"


class RouteLabels:
    """The metrics label of a request path: its route's template, or `other`."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        plain = [r for r in routes if isinstance(r, Route)]
        self.exact = {r.path: r.path for r in plain if "{" not in r.path}
        self.templated = [(r.path_regex, r.path) for r in plain if "{" in r.path]

    def __call__(self, path: str) -> str:
        found = self.exact.get(path)
        if found is not None:
            return found
        for pattern, template in self.templated:
            if pattern.match(path):
                return template
        return OTHER


class RequestMetrics:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.label = RouteLabels(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self.label(str(scope.get("path") or ""))
        status: list[Any] = [None]

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and status[0] is None:
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            # no answer started: the application raised (the server answers 500) or the
            # client went away first
            HTTP_REQUESTS.labels(route=route, status=str(status[0] or 500)).inc()
