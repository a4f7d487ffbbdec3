"""The Starlette application behind `opsbot run`'s HTTP port.

Routes are added by area: health and metrics here; Alertmanager intake, prompt serving and
Slack events register themselves through `extra_routes` when those areas are enabled. Every
request body is capped (bot/http/limits.py): HTTP_MAX_BODY_BYTES, and
ALERTMANAGER_MAX_BODY_BYTES for Alertmanager's whole alert groups. Every request is counted
by route template and status (bot/http/metrics.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.http.deps import HttpDeps
from bot.http.limits import BodyLimits, Cap, Limits
from bot.http.metrics import RequestMetrics
from bot.metrics import REGISTRY, is_ready
from bot.settings import Settings
from core.errors import Conflict, Invalid, NotFound, OpsbotError, Refused, Unavailable, UserError

STARTED = time.time()
ALERTMANAGER_PATH = "/alerts/alertmanager"


def body_limits(settings: Settings) -> Limits:
    return Limits(
        default=Cap(settings.http_max_body_bytes, "HTTP_MAX_BODY_BYTES"),
        paths={
            ALERTMANAGER_PATH: Cap(
                settings.alertmanager_max_body_bytes, "ALERTMANAGER_MAX_BODY_BYTES"
            )
        },
    )


log = logging.getLogger(__name__)

# The one place an opsbot error becomes an HTTP status; the first matching kind wins.
STATUS_FOR: tuple[tuple[type[OpsbotError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (Invalid, 400),
    (Refused, 403),
    (UserError, 400),
    (Unavailable, 503),
)


def status_for(exc: OpsbotError) -> int:
    """404/409/400/403 for the caller's errors, 503 when a dependency is down, 500 otherwise
    (a start-up or internal error that reached a route is the server's fault)."""
    return next((status for kind, status in STATUS_FOR if isinstance(exc, kind)), 500)


async def error_response(_: Request, exc: Exception) -> Response:
    """Starlette exception handler for every route: `{"error": message}` with the status
    `status_for` gives. Registered for OpsbotError, so other exceptions are not touched."""
    if not isinstance(exc, OpsbotError):  # registered for OpsbotError only
        raise exc
    status = status_for(exc)
    if status == 500:
        log.error("%s reached an HTTP route", type(exc).__name__, exc_info=exc)
    return JSONResponse({"error": exc.for_person()}, status_code=status)


def create_app(deps: HttpDeps, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    def healthz(_: Request) -> Response:
        checks: dict[str, str] = {}
        status = 200
        try:
            deps.ping_database()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
            status = 503
        ready = is_ready()
        if not ready:
            status = 503  # starting up or shutting down: do not route traffic here yet
        body = {
            "status": "ok" if status == 200 else ("degraded" if ready else "starting"),
            "checks": checks,
            "uptime_seconds": round(time.time() - STARTED, 1),
            "mode": deps.settings.slack_mode,
            "llm": "anthropic" if deps.settings.use_anthropic else "offline",
        }
        return JSONResponse(body, status_code=status)

    def metrics(_: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *extra_routes,
    ]
    # outermost first: every answer is counted, the body caps' refusals too
    counted = Middleware(RequestMetrics, routes=routes)
    limits = Middleware(BodyLimits, limits=body_limits(deps.settings))
    return Starlette(
        routes=routes,
        middleware=[counted, limits],
        exception_handlers={OpsbotError: error_response},
    )
