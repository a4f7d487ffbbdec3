"""One error hierarchy for the whole of opsbot, with one root (as slack_bolt has one).

    OpsbotError                 root: anything opsbot raises on purpose
    ├── UserError               the caller can fix it (their input, their request)
    │   ├── NotFound            an unknown name, id or version
    │   ├── Conflict            clashes with the current state (already done, moved since)
    │   ├── Invalid             a bad value; the message names it and what is allowed
    │   └── Refused             not allowed: policy, authorisation, a forged request
    ├── Unavailable             a dependency is down (DB, Chroma, Prometheus, MLflow, Slack)
    └── StartupError            configuration or start-up the operator must fix

Every message is written for a person; `hint`, when given, says what to do about it. The
front ends map the kinds in one place each: `tools.base.OpsTool.invoke` to tool results,
`bot.cli.exit_code` to exit codes, `bot.http.app.error_response` to HTTP statuses.
"""

from __future__ import annotations


class OpsbotError(Exception):
    """Root of every error opsbot raises on purpose; `str()` is the message for a person."""

    hint: str | None = None

    def __init__(self, message: str = "", *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def for_person(self) -> str:
        """The message, then the hint when there is one."""
        text = str(self) or type(self).__name__
        return f"{text} ({self.hint})" if self.hint else text


class UserError(OpsbotError):
    """The caller can fix it: a bad argument, an unknown name, a refused request."""


class NotFound(UserError):
    """An unknown name, id, version or label."""


class Conflict(UserError):
    """The request clashes with the current state; nothing was changed."""


class Invalid(UserError):
    """A bad value; the message names it and what is allowed."""


class Refused(UserError):
    """Not allowed: by policy, for want of authorisation, or a request that is not genuine."""


class Unavailable(OpsbotError):
    """A dependency is down or answered nonsense; trying again later may work."""


class StartupError(OpsbotError):
    """Configuration or start-up failed for a reason the operator can fix; the message says how."""
