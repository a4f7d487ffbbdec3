"""`POST /slack/events`: the Events API, slash commands and interactivity in HTTP mode.

Served by the same uvicorn server as the other endpoints (not Bolt's development server).

The ack path is as short as it can be, because Slack retries an event whose ack takes more
than 3 s and because agent turns compete for the same CPU (and GIL): the v0 signature is
checked here (bad or stale: 401), and a signed `event_callback` is handed to the intake
queue and answered 200 at once, without running any of Bolt on the request. The intake
thread then dispatches it through Bolt (our listeners, Bolt's self-event filter), marked as
already verified. Requests that need an answer in the response itself (URL verification,
slash commands, button clicks) go through Bolt's `dispatch` in the thread pool, never on the
event loop. A correctly signed request that is malformed or of a kind we do not handle is
logged and answered 200 with `X-Slack-No-Retry: 1`, so Slack does not redeliver it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import Histogram
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.metrics import HTTP_REQUESTS, REGISTRY

log = logging.getLogger(__name__)

ACK_SECONDS = Histogram(
    "opsbot_slack_ack_seconds",
    "Time from reading a Slack request's body to answering it (the ack), by kind",
    ["kind"],
    registry=REGISTRY,
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3),
)

PATH = "/slack/events"
NO_RETRY = {"X-Slack-No-Retry": "1"}
RETRY_HEADERS = ("x-slack-retry-num", "x-slack-retry-reason")


def _unhandled() -> Response:
    return Response(status_code=200, content=b"", headers=NO_RETRY)


def _event_callback(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The parsed body when it is an Events API `event_callback`, else None."""
    if "json" not in content_type and not body.lstrip().startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("type") == "event_callback":
        return data
    return None


def slack_routes(front: Any) -> list[Route]:
    """The Slack route for the Starlette app; `front` is a started SlackFrontEnd."""
    verifier = SignatureVerifier(front.credentials.signing_secret or "")

    def signed(body: bytes, request: Request) -> bool:
        timestamp = request.headers.get("x-slack-request-timestamp", "").strip()
        signature = request.headers.get("x-slack-signature", "")
        if not timestamp.isdigit() or not signature:
            return False
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)

    async def events(request: Request) -> Response:
        body = await request.body()
        started = time.perf_counter()
        status = 500
        kind = ["other"]
        try:
            response = await dispatch(request, body, kind)
            status = response.status_code
            return response
        finally:
            HTTP_REQUESTS.labels(route=PATH, status=str(status)).inc()
            ACK_SECONDS.labels(kind=kind[0]).observe(time.perf_counter() - started)

    async def dispatch(request: Request, body: bytes, kind: list[str]) -> Response:
        if not signed(body, request):
            kind[0] = "refused"
            return JSONResponse({"error": "invalid request"}, status_code=401)
        event = _event_callback(body, request.headers.get("content-type", ""))
        if event is not None:
            kind[0] = "event"
            retry = {k: request.headers[k] for k in RETRY_HEADERS if k in request.headers}
            front.enqueue_event(event, retry)
            return Response(status_code=200, content=b"")
        try:
            bolt_request = to_bolt_request(request, body)
            if not isinstance(bolt_request.body, dict):
                raise ValueError(f"a JSON {type(bolt_request.body).__name__}, not an object")
        except Exception as exc:
            log.warning("malformed Slack payload (%s: %s); answered 200", type(exc).__name__, exc)
            return _unhandled()
        try:
            bolt_response = await run_in_threadpool(front.app.dispatch, bolt_request)
        except Exception:
            log.exception("Slack request handling failed; answered 200 so Slack does not retry")
            return _unhandled()
        if bolt_response.status == 404 or bolt_response.status >= 500:
            log.info(
                "unhandled Slack payload (type=%s, bolt status %s); answered 200",
                bolt_request.body.get("type"),
                bolt_response.status,
            )
            return _unhandled()
        return to_starlette_response(bolt_response)

    return [Route(PATH, events, methods=["POST"])]
