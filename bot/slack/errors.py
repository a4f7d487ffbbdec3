"""The Slack error code of a failed Web API call, for logs and thread notes."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def slack_error(exc: Exception) -> str:
    """The Slack error code of a failed call, or the exception's text."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error") or exc)
    return f"{type(exc).__name__}: {exc}"
