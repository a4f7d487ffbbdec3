"""`POST /models/{name}/predictions` and `POST /models/{name}/outcomes`: what a model predicted,
and later what really happened (tools/modelperf).

Off (404 with the reason) while MODELPERF_TOKEN is unset; bearer-token protected; the body is
capped like every body (bot/http/limits.py: HTTP_MAX_BODY_BYTES). Bodies (rows:
tools/modelperf/rows.py):

    {"version": 3, "predictions": [{"id": "a1", "timestamp": "2026-12-03T10:00:00Z",
      "prediction": 1, "score": 0.83, "features": {"plan": "pro"}}, ...]}
    {"outcomes": [{"id": "a1", "actual": 0}, ...]}

An unknown model is 404, a body that is not such an object (or a batch version the model does
not have) 400, and nothing is stored. Otherwise each row stands alone: the valid rows are
stored in one transaction, and the answer lists the rejected rows by index with the reason:
200 when every row was kept or already stored, 207 when some were rejected:

    {"received": 3, "stored": 2, "duplicates": 0,
     "rejected": [{"index": 1, "id": "a2", "reason": "prediction is not a finite number"}]}
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
from core.errors import Invalid, NotFound

log = logging.getLogger(__name__)

PREDICTIONS = "/models/{name}/predictions"
OUTCOMES = "/models/{name}/outcomes"


def _rows(data: Any, key: str) -> list[Any]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise BodyError(f'the body must be a JSON object {{"{key}": [...]}}')
    return list(data[key])


def modelperf_routes(deps: HttpDeps) -> list[Route]:
    async def intake(request: Request, key: str) -> Response:
        denied = refused(
            request, deps.settings.modelperf_token, "MODELPERF_TOKEN", "Model prediction intake"
        )
        if denied is not None:
            return denied
        name = request.path_params["name"]
        try:
            data = decode_json(await request.body())
            rows = _rows(data, key)
        except BodyError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        intake = deps.model_intake()
        try:
            if key == "predictions":
                report = await run_in_threadpool(
                    intake.predictions, name, rows, data.get("version")
                )
            else:
                report = await run_in_threadpool(intake.outcomes, name, rows)
        except NotFound as exc:
            return JSONResponse({"error": exc.for_person()}, 404)
        except Invalid as exc:
            return JSONResponse({"error": exc.for_person()}, 400)
        except Exception as exc:
            log.exception("model %s intake failed", key)
            return JSONResponse({"error": f"could not store the {key}: {type(exc).__name__}"}, 503)
        return JSONResponse(report.to_dict(), 207 if report.rejected else 200)

    async def predictions(request: Request) -> Response:
        return await intake(request, "predictions")

    async def outcomes(request: Request) -> Response:
        return await intake(request, "outcomes")

    return [
        Route(PREDICTIONS, predictions, methods=["POST"]),
        Route(OUTCOMES, outcomes, methods=["POST"]),
    ]
