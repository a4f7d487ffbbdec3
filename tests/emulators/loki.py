"""A small emulator of Grafana Loki's query API on 127.0.0.1, for LOKI_URL in tests.

`streams[selector]` holds (labels, [(unix seconds, line)]) per stream; `/loki/api/v1/query_range`
answers the entries between start and end (nanoseconds), newest first for
`direction=backward`, at most `limit`, as Loki's `streams` result. A selector in `errors` is
refused with HTTP 400 and Loki's plain-text message; with `token` set, a request without that
bearer token gets 401. Every request's parameters and headers are recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.http_get import serve_get

Stream = tuple[dict[str, str], list[tuple[float, str]]]


@dataclass
class LokiEmulator:
    streams: dict[str, list[Stream]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    requests: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        self.requests.append((params, headers))
        if self.token and headers.get("authorization") != f"Bearer {self.token}":
            return 401, "no org id or bad token\n"
        if path != "/loki/api/v1/query_range":
            return 404, "404 page not found\n"
        selector = params.get("query", "")
        if selector in self.errors:
            return 400, self.errors[selector] + "\n"
        start, end = int(params["start"]), int(params["end"])
        limit = int(params.get("limit", 100))
        result = []
        taken = 0
        for labels, entries in self.streams.get(selector, []):
            values = [[str(int(t * 1e9)), line] for t, line in entries
                      if start <= int(t * 1e9) <= end]  # fmt: skip
            values.sort(key=lambda v: int(v[0]), reverse=params.get("direction") != "forward")
            values = values[: max(0, limit - taken)]
            taken += len(values)
            if values:
                result.append({"stream": labels, "values": values})
        return 200, {"status": "success", "data": {"resultType": "streams", "result": result}}


@contextmanager
def loki_emulator(emulator: LokiEmulator | None = None) -> Iterator[LokiEmulator]:
    emulator = emulator or LokiEmulator()
    with serve_get(emulator.answer) as url:
        emulator.url = url
        yield emulator
