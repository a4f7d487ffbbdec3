"""`POST /slack/events`: the Events API, slash commands and interactivity in HTTP mode.

Served by the same uvicorn server as the other endpoints (not Bolt's development server).

The ack path is as short as it can be, because Slack retries an event whose ack takes more
than 3 s and because agent turns compete for the same CPU (and GIL): the v0 signature is
checked here on the stream (missing or stale headers: 401 before the body is read; the HMAC
is computed as the body arrives, capped by bot/http/limits.py; a mismatch: 401), and a
signed `event_callback` is handed to the intake queue and answered 200 at once, without
running any of Bolt on the request. The intake thread then dispatches it through Bolt (our
listeners, Bolt's self-event filter), marked as already verified. Requests that need an
answer in the response itself (URL verification, slash commands, button clicks) go through
Bolt's `dispatch` in the thread pool, never on the event loop; each of those is claimed once
by its signature first (bot/slack/dedupe.py), so a replayed signed request gets 200 and does
nothing. A signed body that cannot be decoded safely (not UTF-8, nested too deeply, a NUL
or a lone surrogate) gets 400 with the reason; one that is syntactically broken or of a kind
we do not handle is logged and answered 200. Both carry `X-Slack-No-Retry: 1`, so Slack
does not redeliver them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import Histogram
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.http.bodies import BodyError, NotJson, decode_form, decode_json
from bot.metrics import REGISTRY
from bot.slack.dedupe import request_key
from bot.slack.request_signature import RequestSignature, SignatureRefused

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


def _refused() -> Response:
    return JSONResponse({"error": "invalid request"}, status_code=401)


def _is_json(body: bytes, content_type: str) -> bool:
    return "json" in content_type or body.lstrip().startswith(b"{")


def _parse(body: bytes, content_type: str) -> Any:
    """The signed body, decoded: a JSON value, or the form fields (with `payload`, the JSON
    of an interaction, decoded too). Raises BodyError (NotJson for a syntax error)."""
    if _is_json(body, content_type):
        return decode_json(body)
    fields = decode_form(body)
    if "payload" in fields:
        decode_json(fields["payload"].encode(), "the payload field")
    return fields


def slack_routes(front: Any) -> list[Route]:
    """The Slack route for the Starlette app; `front` is a started SlackFrontEnd."""
    signature = RequestSignature(front.credentials.signing_secret or "")

    async def read_signed(request: Request) -> tuple[bytes, str] | None:
        """The body and its signature, or None (refused: logged at debug)."""
        headers = request.headers
        try:
            running = signature.start(
                headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
            )
        except SignatureRefused as exc:
            log.debug("Slack request refused before reading: %s", exc)
            return None
        chunks: list[bytes] = []
        async for chunk in request.stream():  # capped by bot/http/limits.py
            running.update(chunk)
            chunks.append(chunk)
        try:
            running.verify()
        except SignatureRefused as exc:
            log.debug("Slack request refused: %s", exc)
            return None
        return b"".join(chunks), headers["x-slack-signature"].strip()

    def first_time(key: str) -> bool:
        return bool(front.deduper.claim(key))

    async def events(request: Request) -> Response:
        signed = await read_signed(request)
        started = time.perf_counter()
        kind = ["other"]
        try:
            if signed is None:
                kind[0] = "refused"
                return _refused()
            return await dispatch(request, *signed, kind)
        finally:  # the request itself is counted by bot/http/metrics.py
            ACK_SECONDS.labels(kind=kind[0]).observe(time.perf_counter() - started)

    async def dispatch(request: Request, body: bytes, sig: str, kind: list[str]) -> Response:
        content_type = request.headers.get("content-type", "")
        try:
            data = _parse(body, content_type)
        except NotJson as exc:
            log.warning("malformed Slack payload (%s); answered 200", exc)
            return _unhandled()
        except BodyError as exc:
            kind[0] = "bad"
            log.warning("undecodable Slack payload (%s); answered 400", exc)
            return JSONResponse({"error": str(exc)}, status_code=400, headers=NO_RETRY)
        if isinstance(data, dict) and data.get("type") == "event_callback":
            kind[0] = "event"
            retry = {k: request.headers[k] for k in RETRY_HEADERS if k in request.headers}
            front.enqueue_event(data, retry)
            return Response(status_code=200, content=b"")
        try:
            bolt_request = to_bolt_request(request, body)
            if not isinstance(bolt_request.body, dict):
                raise ValueError(f"a JSON {type(bolt_request.body).__name__}, not an object")
        except Exception as exc:
            log.warning("malformed Slack payload (%s: %s); answered 200", type(exc).__name__, exc)
            return _unhandled()
        if not _is_json(body, content_type):  # a slash command or an interaction
            try:
                fresh = await run_in_threadpool(first_time, request_key(sig))
            except Exception:
                log.exception("could not record a Slack request; answered 200 without acting")
                return _unhandled()
            if not fresh:
                kind[0] = "replay"
                log.warning("replayed Slack request (same signature) ignored")
                return Response(status_code=200, content=b"")
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
