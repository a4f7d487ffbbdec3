"""The metric names Prometheus holds, read at most every few minutes.

The offline planner recognises a metric name written on its own ("what's node_load1?") by
this list. It is read from `/api/v1/label/__name__/values` with a short timeout and kept for
`ttl` seconds; when Prometheus cannot be reached the last list read is kept (or none), the
failure is logged once per `ttl`, and the next read waits for the `ttl` too, so a Prometheus
that is down never slows a chat turn by more than one short timeout in `ttl` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from tools.infra.prometheus import PrometheusError, metric_names

log = logging.getLogger(__name__)

TTL_SECONDS = 300.0
TIMEOUT_SECONDS = 2.0
MAX_NAMES = 50_000  # a bigger list is cut (and said so in the log)


class MetricNames:
    """Callable: the known metric names as a frozenset, refreshed at most every `ttl` s."""

    def __init__(
        self,
        base_url: str,
        ttl: float = TTL_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.ttl = ttl
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._names: frozenset[str] = frozenset()
        self._read_at: float | None = None

    def __call__(self) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self.ttl:
                return self._names
            self._read_at = now  # one reader per ttl, even while this read is under way
        try:
            names = metric_names(self.base_url, self.timeout)
        except PrometheusError as exc:
            log.warning("metric names from Prometheus unavailable (kept %d): %s",
                        len(self._names), exc)  # fmt: skip
            return self._names
        if len(names) > MAX_NAMES:
            log.warning("Prometheus holds %d metric names; the planner knows the first %d",
                        len(names), MAX_NAMES)  # fmt: skip
            names = names[:MAX_NAMES]
        with self._lock:
            self._names = frozenset(names)
        return self._names
