"""`POST /events/change`: a change made outside opsbot (a deploy from CI) into the change log.

Off (404 with the reason) while CHANGE_EVENTS_TOKEN is unset; bearer-token protected; the body
is capped like every body (bot/http/limits.py). A body that is not a valid change (not JSON,
a field missing or wrong, a time ahead of our clock) gets 400 with every problem and stores
nothing; a valid one is stored and answered with the change as recorded. Body fields:
tools/changes/posted.py. From a CI job:

    curl -X POST -H "Authorization: Bearer $CHANGE_EVENTS_TOKEN" \\
      -d '{"service": "checkout", "version": "1.4.2", "who": "ci", "link": "'$RUN_URL'"}' \\
      http://opsbot:3000/events/change
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

PATH = "/events/change"


def change_routes(deps: HttpDeps) -> list[Route]:
    from tools.changes.posted import PostedChange

    async def intake(request: Request) -> Response:
        denied = refused(
            request, deps.settings.change_events_token, "CHANGE_EVENTS_TOKEN", "Change intake"
        )
        if denied is not None:
            return denied
        try:
            posted = PostedChange.parse(decode_json(await request.body()))
        except (BodyError, Invalid) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        try:
            change = await run_in_threadpool(posted.record, deps.changes(), via="http")
        except Exception as exc:
            log.exception("change intake failed")
            return JSONResponse(
                {"error": f"could not record the change: {type(exc).__name__}"}, 503
            )
        return JSONResponse({"status": "ok", "change": change.to_dict()}, 201)

    return [Route(PATH, intake, methods=["POST"])]
