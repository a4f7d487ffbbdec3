"""The names the offline planner recognises, read from their sources and cached briefly.

A chat turn asks for the vocabulary at every step; reading the prompt and model registries
each time would cost a query per step, so a `VocabularyCache` keeps what it read for a few
seconds. An unreachable model registry (MLflow) gives no model names rather than stopping
the chat: the registry tools report that error themselves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from graphs.offline.entities import Vocabulary
from tools.base import ToolError

log = logging.getLogger(__name__)

TTL_SECONDS = 5.0


@dataclass(frozen=True)
class VocabularySources:
    """Where each kind of name comes from; each source is read on every refresh."""

    endpoints: Callable[[], Iterable[str]]
    prompts: Callable[[], Iterable[str]]
    labels: Callable[[], Iterable[str]]
    models: Callable[[], Iterable[str]]
    services: Callable[[], Iterable[str]]
    scripts: Callable[[], Iterable[str]]
    metrics: Callable[[], frozenset[str]] = frozenset  # Prometheus's metric names, if any


class VocabularyCache:
    """Callable: the current `Vocabulary`, re-read at most every `ttl` seconds."""

    def __init__(
        self,
        sources: VocabularySources,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sources = sources
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, Vocabulary] | None = None

    def __call__(self) -> Vocabulary:
        now = self._clock()
        with self._lock:
            cached = self._cached
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        s = self.sources
        vocab = Vocabulary(
            endpoints=tuple(s.endpoints()),
            prompts=tuple(s.prompts()),
            models=self._model_names(),
            labels=tuple(s.labels()),
            services=tuple(s.services()),
            scripts=tuple(s.scripts()),
            metrics=s.metrics(),
        )
        with self._lock:
            self._cached = (now, vocab)
        return vocab

    def _model_names(self) -> tuple[str, ...]:
        try:
            return tuple(self.sources.models())
        except ToolError as exc:
            log.warning("model names unavailable for the offline planner: %s", exc)
            return ()
