"""`POST /scores`: a score on a trace (user feedback, an evaluator's verdict) from an LLM app.

Off (404 with the reason) while OTLP_TOKEN is unset, and protected by the same bearer token
as `POST /v1/traces`; the body is capped like every body (bot/http/limits.py). The body is
JSON `{"trace_id", "name", "value", "comment"?, "span_id"?, "author"?}`: `value` a number or
a boolean (stored as 1 or 0). A bad body or field gets 400 with every problem and stores
nothing. A good one answers 201 with the score, `replaced` (the same trace, span, name and
author had a score: its value is replaced, so a changed vote or a retry is not counted
twice) and `trace_known` (false while no span of that trace is stored: the score is kept,
since traces may arrive after it, and counts once they do). What is checked:
tools/llmops/scores.py.

    curl -X POST -H "Authorization: Bearer $OTLP_TOKEN" \\
      -d '{"trace_id": "'$TRACE'", "name": "user_feedback", "value": true}' \\
      http://opsbot:3000/scores
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.http.bearer import refused
from bot.http.bodies import BodyError, decode_json
from bot.http.deps import HttpDeps
from core.errors import Invalid

log = logging.getLogger(__name__)

PATH = "/scores"


def score_routes(deps: HttpDeps) -> list[Route]:
    from tools.llmops.scores import parse_score

    async def intake(request: Request) -> Response:
        denied = refused(request, deps.settings.otlp_token, "OTLP_TOKEN", "Score intake")
        if denied is not None:
            return denied
        try:
            score = parse_score(decode_json(await request.body()))
        except (BodyError, Invalid) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        try:
            recorded = await run_in_threadpool(deps.llm_scores().record, score, "http")
        except Exception as exc:
            log.exception("score intake failed")
            return JSONResponse({"error": f"could not store the score: {type(exc).__name__}"}, 503)
        return JSONResponse({"status": "ok", **recorded.to_dict()}, 201)

    return [Route(PATH, intake, methods=["POST"])]
