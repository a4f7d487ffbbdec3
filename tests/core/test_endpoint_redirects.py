"""A redirect to an address nobody configured is a failure, in check_endpoint and in the
endpoint monitor; a redirect within the endpoint's own origin stays ok. Real HTTP servers on
127.0.0.1 (two ports: the second one is "elsewhere")."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.monitors.endpoints import EndpointConfig, EndpointMonitor
from bot.monitors.samples import SampleStore
from core.access import Caller
from core.clock import utcnow
from tools.infra.endpoints import probe
from tools.infra.tools import InfraConfig, build_infra_tools

CALLER = Caller(user="tester", via="test")


def serve(routes: dict[str, tuple[int, str | None]]) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            status, location = routes.get(self.path, (404, None))
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers() -> Iterator[tuple[str, str]]:
    elsewhere = serve({"/collect": (200, None)})
    other = f"http://127.0.0.1:{elsewhere.server_address[1]}"
    routes: dict[str, tuple[int, str | None]] = {
        "/healthz": (200, None),
        "/moved": (302, f"{other}/collect?token=sk_live_0123456789abcdefghijklmn"),
        "/relative": (302, "/healthz"),
    }
    home = serve(routes)
    base = f"http://127.0.0.1:{home.server_address[1]}"
    routes["/same-origin"] = (301, f"{base}/healthz")
    yield base, other
    home.shutdown()
    elsewhere.shutdown()


def test_a_redirect_to_another_port_is_reported_down(servers: tuple[str, str]) -> None:
    base, other = servers
    result = probe("api", f"{base}/moved", timeout=2.0)
    assert result.status == 302 and not result.ok and result.level == "crit"
    assert result.error is not None and result.error.startswith(f"redirect to {other}/collect")
    assert result.error.endswith(f"not allowed (only within {base})")
    assert "sk_live_0123456789" not in result.error  # the target is shown redacted
    tool = {t.name: t for t in build_infra_tools(InfraConfig(endpoints={"api": f"{base}/moved"}))}[
        "check_endpoint"
    ]
    text = tool.invoke({"target": "api"}, CALLER).text
    assert "is DOWN: redirect to" in text and "not allowed" in text and "[CRIT]" in text
    assert "UP" not in text and "[ok]" not in text


def test_a_redirect_within_the_same_origin_stays_ok(servers: tuple[str, str]) -> None:
    base, _ = servers
    for path in ("/relative", "/same-origin"):
        result = probe("api", f"{base}{path}", timeout=2.0)
        assert result.ok and result.level == "ok" and result.error is None, path
        assert result.location is not None and result.location.endswith("/healthz")


def test_the_endpoint_monitor_opens_endpoint_down_for_a_foreign_redirect(  # type: ignore[no-untyped-def]
    engine, servers: tuple[str, str]
) -> None:
    base, other = servers
    monitor = EndpointMonitor(
        SampleStore(engine),
        EndpointConfig(
            endpoints={"api": f"{base}/moved", "web": f"{base}/relative"}, timeout=2.0, sustain=2
        ),
    )
    now = utcnow()
    assert monitor.run(now) == []
    (finding,) = monitor.run(now + timedelta(seconds=60))
    assert finding.alertname == "EndpointDown" and finding.labels == {"endpoint": "api"}
    assert finding.title.startswith(f"api is down: redirect to {other}/collect")
    assert dict(finding.fields)["status"] == "302"
