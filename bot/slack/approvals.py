"""Signed button values for approval and incident buttons.

A button's `value` comes back to us inside a `block_actions` payload that anyone who can
reach the endpoint could try to forge or replay. The value is
`subject|action|expires|mac` where `mac` is HMAC-SHA256 over kind, subject, action and
expiry with a key derived from the Slack signing secret (or bot token): a tampered id, a
swapped Approve/Reject value or a pushed-back expiry fails the check. Authorisation is NOT
taken from the value: the clicker is re-checked against the on-call list for every click,
and a value replayed after the decision finds the approval no longer pending.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import Refused

APPROVE = "approve"
REJECT = "reject"
ACK = "ack"
RESOLVE = "resolve"
SNOOZE = "snooze"

APPROVAL = "approval"
INCIDENT = "incident"

# action_id of each button (what Bolt routes on)
APPROVAL_ACTIONS = {f"approval_{APPROVE}": APPROVE, f"approval_{REJECT}": REJECT}
INCIDENT_ACTIONS = {
    f"incident_{ACK}": ACK,
    f"incident_{RESOLVE}": RESOLVE,
    f"incident_{SNOOZE}": SNOOZE,
}

_KEY_CONTEXT = b"opsbot/slack-button-values/v1"
_MAC_HEX = 32  # 128 bits


class ButtonError(Refused):
    """A button value that must not be acted on; the message is shown to the clicker."""

    def __init__(self, message: str, *, expired: bool = False, subject: str | None = None):
        super().__init__(message)
        self.expired = expired
        self.subject = subject


@dataclass(frozen=True)
class ButtonValue:
    subject: str  # approval id or incident id
    action: str
    expires: int  # unix seconds; 0 = never


class ButtonSigner:
    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("button signing needs a non-empty secret")
        self._key = hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest()
        self._clock = clock

    def _mac(self, kind: str, subject: str, action: str, expires: int) -> str:
        message = f"{kind}|{subject}|{action}|{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:_MAC_HEX]

    def sign(self, kind: str, subject: str, action: str, expires: int = 0) -> str:
        """The button value for `action` on `subject`, valid until `expires` (0 = no expiry)."""
        if "|" in subject or "|" in action:
            raise ValueError(f"button subject and action must not contain '|': {subject!r}")
        return f"{subject}|{action}|{int(expires)}|{self._mac(kind, subject, action, int(expires))}"

    def verify(self, kind: str, value: str, action: str) -> ButtonValue:
        """Check a value that came back from Slack for the button `action`; raise ButtonError."""
        parts = (value or "").split("|")
        if len(parts) != 4 or not parts[2].isdigit():
            raise ButtonError("this button is not one of mine (malformed value); nothing was done")
        subject, signed_action, expires_text, mac = parts
        expires = int(expires_text)
        expected = self._mac(kind, subject, signed_action, expires)
        if not hmac.compare_digest(expected, mac):
            raise ButtonError("this button's signature is invalid; nothing was done")
        if signed_action != action:
            raise ButtonError(
                f"this button's value is for {signed_action!r}, not {action!r}; nothing was done"
            )
        if expires and self._clock() >= expires:
            raise ButtonError(
                "this request has expired; nothing was changed. Ask again to get a new approval",
                expired=True,
                subject=subject,
            )
        return ButtonValue(subject, signed_action, expires)
