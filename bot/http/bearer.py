"""Bearer-token checks of the token-protected intake routes, in one place: off (404 with the
setting to set) while the token is unset, 401 with a challenge for a missing or wrong token.
A route that takes `basic=True` also accepts HTTP Basic whose password is the token (the
user name is not checked): Langfuse's exporters send `public key:secret key` that way."""

from __future__ import annotations

import base64
import binascii
import hmac

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def _basic_password(credentials: str) -> bytes | None:
    """The password of HTTP Basic `credentials` (base64 of `user:password`), or None."""
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    _user, colon, password = decoded.partition(b":")
    return password if colon else None


def refused(
    request: Request, secret: SecretStr | None, setting: str, what: str, *, basic: bool = False
) -> Response | None:
    """None when `request` carries the bearer token `secret` (or, with `basic`, HTTP Basic
    whose password is `secret`); else the response that refuses it. `setting` names the
    environment variable, `what` the route ("Alertmanager intake")."""
    if secret is None or not secret.get_secret_value():
        return JSONResponse({"error": f"{what} is off: set {setting} to enable it"}, 404)
    expected = secret.get_secret_value().encode()
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected):
        return None
    if basic and scheme.lower() == "basic":
        password = _basic_password(token)
        if password is not None and hmac.compare_digest(password, expected):
            return None
    if basic:
        return JSONResponse(
            {
                "error": f"missing or wrong token (Authorization: Bearer <{setting}>, or Basic"
                f" with <{setting}> as the password)"
            },
            401,
            headers={"WWW-Authenticate": 'Bearer, Basic realm="opsbot"'},
        )
    return JSONResponse(
        {"error": f"missing or wrong bearer token (Authorization: Bearer <{setting}>)"},
        401,
        headers={"WWW-Authenticate": "Bearer"},
    )
