"""Slack's v0 request signature, checked while the body streams in.

`start()` looks at the headers only: a request without a timestamp or a `v0=` signature, or
with a timestamp more than five minutes away from now, is refused before one byte of its
body is read. `update()` feeds the HMAC chunk by chunk as the body arrives; `verify()`
compares in constant time at the end. See
https://api.slack.com/authentication/verifying-requests-from-slack.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from core.errors import Refused

MAX_AGE_SECONDS = 300


class SignatureRefused(Refused, ValueError):
    """The request is not signed by Slack; the message is for the log, not the sender."""


class RequestSignature:
    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the Slack signing secret must not be empty")
        self._secret = secret.encode()
        self._clock = clock

    def start(self, timestamp: str | None, signature: str | None) -> _Running:
        """Check the headers; returns the running check to feed the body into."""
        stamp = (timestamp or "").strip()
        given = (signature or "").strip()
        if not stamp.isdigit() or not given.startswith("v0="):
            raise SignatureRefused("missing X-Slack-Request-Timestamp or X-Slack-Signature")
        if abs(self._clock() - int(stamp)) > MAX_AGE_SECONDS:
            raise SignatureRefused("stale X-Slack-Request-Timestamp (more than 5 minutes off)")
        mac = hmac.new(self._secret, f"v0:{stamp}:".encode(), hashlib.sha256)
        return _Running(mac, given)


class _Running:
    def __init__(self, mac: hmac.HMAC, given: str) -> None:
        self._mac = mac
        self._given = given.encode()

    def update(self, chunk: bytes) -> None:
        self._mac.update(chunk)

    def verify(self) -> None:
        expected = b"v0=" + self._mac.hexdigest().encode()
        if not hmac.compare_digest(expected, self._given):
            raise SignatureRefused("the signature does not match the body")
