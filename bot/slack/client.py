"""The Slack Web API client, pointed at SLACK_API_URL and retrying what is worth retrying.

slack_sdk retries only connection errors by default, once. Slack answers bursts with HTTP 429
and a Retry-After header, and incident storms or busy threads do hit it, so 429s are retried
(sleeping the advised time, in the calling worker thread), as are 500/503 and dropped
connections. Client errors (`invalid_auth`, `channel_not_found`...) are never retried.

Every Web API call goes through `api_call`, so that is where a last redaction pass runs over
what opsbot writes to Slack (message text, the text inside blocks and attachments, uploaded
text content): whatever path a message took, no recognised secret is posted. Button values,
ids and URLs of blocks are left exact (they are signed or are addresses). Answers to slash
commands go to `response_url` through Bolt's `respond()`, not through this client:
`redacting_respond` gives them the same pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.web.slack_response import SlackResponse

from tools.redact import redact

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 4
CONNECTION_RETRIES = 3
SERVER_ERROR_RETRIES = 2
TIMEOUT_SECONDS = 15


def retry_handlers() -> list[RetryHandler]:
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        ConnectionErrorRetryHandler(
            max_retry_count=CONNECTION_RETRIES,
            interval_calculator=backoff,
            # not read timeouts: the message may have been posted, and a retry would repeat it
            error_types=[URLError, ConnectionResetError, RemoteDisconnected],
        ),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES, interval_calculator=backoff),
    ]


# keys whose string values are what people read in a message, at any depth of its blocks
_TEXT_KEYS = frozenset({"text", "fallback", "pretext", "title", "footer", "initial_comment"})


def redact_message(value: Any, key: str | None = None) -> Any:
    """A chat.* payload with the readable text (`text` keys, at any depth) redacted."""
    if isinstance(value, str):
        return redact(value) if key in _TEXT_KEYS else value
    if isinstance(value, dict):
        return {k: redact_message(v, k) for k, v in value.items()}
    if isinstance(value, list):
        # a list under "text"-like keys does not occur; items inherit nothing
        return [redact_message(v, None if isinstance(v, dict) else key) for v in value]
    return value


def redacting_respond(respond: Callable[..., Any]) -> Callable[..., Any]:
    """Bolt's `respond` (a post to `response_url`, which bypasses this client) with the same
    last redaction pass over what it sends."""

    def send(*args: Any, **kwargs: Any) -> Any:
        # respond(text, blocks, ...): a positional string is the message text
        plain = [redact(a) if isinstance(a, str) else redact_message(a) for a in args]
        return respond(*plain, **redact_message(kwargs))

    return send


# what Slack itself answers every call once the app is uninstalled or its token revoked
REVOKED_ERROR = "token_revoked"


class RedactingWebClient(WebClient):
    """A WebClient that redacts what it posts (see the module docstring), and that stops
    calling Slack once the workspace told us the app is gone (`revoke`)."""

    revoked: str | None = None  # why Slack calls stopped: "app_uninstalled", "tokens_revoked"

    def revoke(self, reason: str) -> None:
        """Stop calling Slack: every later call fails at once as Slack would answer it
        (`token_revoked`), without a request. A new token means a restart."""
        self.revoked = reason

    def api_call(
        self,
        api_method: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SlackResponse:
        if self.revoked is not None:
            answer = {"ok": False, "error": REVOKED_ERROR}
            response = SlackResponse(
                client=self,
                http_verb="POST",
                api_url=f"{self.base_url}{api_method}",
                req_args={},
                data=answer,
                headers={},
                status_code=200,
            )
            raise SlackApiError(f"not calling {api_method}: {self.revoked}", response)
        if json is not None:
            json = redact_message(json)
        if data is not None:
            data = redact_message(data)
        return super().api_call(api_method, json=json, data=data, **kwargs)

    def files_upload_v2(self, *, content: str | bytes | None = None, **kwargs: Any) -> Any:
        if isinstance(content, str):
            content = redact(content)
        return super().files_upload_v2(content=content, **kwargs)


def make_web_client(token: str, base_url: str) -> WebClient:
    """A WebClient for `base_url` (e.g. https://slack.com/api/ or an emulator)."""
    return RedactingWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("slack_sdk.web"),
    )
