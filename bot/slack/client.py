"""The Slack Web API client, pointed at SLACK_API_URL and retrying what is worth retrying.

slack_sdk retries only connection errors by default, once. Slack answers bursts with HTTP 429
and a Retry-After header, and incident storms or busy threads do hit it, so 429s are retried
(sleeping the advised time, in the calling worker thread), as are 500/503 and dropped
connections. Client errors (`invalid_auth`, `channel_not_found`...) are never retried.
"""

from __future__ import annotations

import logging
from http.client import RemoteDisconnected
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler

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


def make_web_client(token: str, base_url: str) -> WebClient:
    """A WebClient for `base_url` (e.g. https://slack.com/api/ or an emulator)."""
    return WebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("slack_sdk.web"),
    )
