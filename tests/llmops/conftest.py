"""A Runtime with OTLP intake on (on SQLite and PostgreSQL) and its `/v1/traces` served on
real HTTP at 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.http.app import create_app
from bot.http.otlp import otlp_routes
from bot.http.server import HttpServer

TOKEN = "otlp-token-0123456789"


@pytest.fixture
def runtime(make_runtime, database_url):  # type: ignore[no-untyped-def]
    return make_runtime(console_mode=False, database_url=database_url, otlp_token=TOKEN)


@pytest.fixture
def url(runtime: Any) -> Iterator[str]:
    deps = runtime.http_deps()
    server = HttpServer(create_app(deps, otlp_routes(deps)), "127.0.0.1", 0)
    port = server.start()
    yield f"http://127.0.0.1:{port}/v1/traces"
    server.stop()
