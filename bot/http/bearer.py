"""Bearer-token checks of the token-protected intake routes, in one place: off (404 with the
setting to set) while the token is unset, 401 with a challenge for a missing or wrong token."""

from __future__ import annotations

import hmac

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def refused(request: Request, secret: SecretStr | None, setting: str, what: str) -> Response | None:
    """None when `request` carries the bearer token `secret`; else the response that refuses
    it. `setting` names the environment variable, `what` the route ("Alertmanager intake")."""
    if secret is None or not secret.get_secret_value():
        return JSONResponse({"error": f"{what} is off: set {setting} to enable it"}, 404)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), secret.get_secret_value().encode()
    ):
        return None
    return JSONResponse(
        {"error": f"missing or wrong bearer token (Authorization: Bearer <{setting}>)"},
        401,
        headers={"WWW-Authenticate": "Bearer"},
    )
