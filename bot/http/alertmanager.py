"""`POST /alerts/alertmanager`: Alertmanager's webhook (version 4), bearer-token protected.

Off (404 with the reason) while ALERTMANAGER_TOKEN is unset. The token is checked before
the body is read, and the body is capped at ALERTMANAGER_MAX_BODY_BYTES (bot/http/limits.py).
A body that is not a valid version-4 payload (not UTF-8, not JSON, nested too deeply, a NUL
character or a lone surrogate anywhere, a field missing or wrong) gets 400 with every problem
found and changes nothing; a valid one is applied in one transaction per group and answered
with the incident it opened or updated.

Alertmanager config to point at it:

    receivers:
      - name: opsbot
        webhook_configs:
          - url: http://opsbot:3000/alerts/alertmanager
            send_resolved: true
            http_config:
              authorization: {type: Bearer, credentials: <ALERTMANAGER_TOKEN>}
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.http.bearer import refused
from bot.http.bodies import BodyError, decode_json
from bot.http.deps import HttpDeps

log = logging.getLogger(__name__)

PATH = "/alerts/alertmanager"


def _reply(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def alertmanager_routes(deps: HttpDeps) -> list[Route]:
    from bot.incidents.alertmanager import PayloadError, parse_payload

    async def intake(request: Request) -> Response:
        denied = refused(
            request, deps.settings.alertmanager_token, "ALERTMANAGER_TOKEN", "Alertmanager intake"
        )
        if denied is not None:
            return denied
        raw = await request.body()  # capped by bot/http/limits.py
        try:
            data = decode_json(raw)
        except BodyError as exc:
            return _reply(400, {"error": str(exc)})
        try:
            payload = parse_payload(data)
        except PayloadError as exc:
            return _reply(
                400,
                {"error": "not a valid Alertmanager webhook v4 payload", "problems": exc.problems},
            )
        try:
            incident_id, change = await run_in_threadpool(deps.ingest_alertmanager(), payload)
        except Exception as exc:
            log.exception("Alertmanager intake failed")
            return _reply(503, {"error": f"could not record the alerts: {type(exc).__name__}"})
        return _reply(200, {"status": "ok", "incident": incident_id, "change": change})

    return [Route(PATH, intake, methods=["POST"])]
