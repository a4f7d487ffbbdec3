"""Host health tools on real psutil readings, real files, real local HTTP(S) servers."""

from __future__ import annotations

import http.server
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from core.access import Caller
from tests.emulators.prometheus import PrometheusEmulator, prometheus_emulator
from tools.infra.host import CpuSampler, read_host
from tools.infra.levels import Thresholds
from tools.infra.tools import InfraConfig, build_infra_tools

CALLER = Caller(user="tester", via="test")


def _tools(**config: object) -> dict:
    return {t.name: t for t in build_infra_tools(InfraConfig(**config))}  # type: ignore[arg-type]


def test_host_health_reports_real_figures() -> None:
    result = _tools()["host_health"].invoke({}, CALLER)
    assert result.ok
    data = result.data
    memory = psutil.virtual_memory()
    assert data["memory_total"] == memory.total
    assert abs(data["memory_percent"] - memory.percent) < 5
    assert data["cpu_count"] == psutil.cpu_count()
    assert 0 <= data["cpu_percent"] <= 100
    root = next(d for d in data["disks"] if d["mountpoint"] == "/")
    assert abs(root["percent"] - psutil.disk_usage("/").percent) < 1
    assert root["inodes_total"] > 0
    assert data["uptime_seconds"] > 0
    assert "GiB" in result.text and "inodes" in result.text
    assert data["overall"] in ("ok", "warn", "crit")


def test_thresholds_mark_crit_and_warn() -> None:
    used = psutil.disk_usage("/").percent
    crit = read_host(Thresholds(disk=max(used - 1, 0.5)))
    root = next(d for d in crit.disks if d.mountpoint == "/")
    assert root.level == "crit" and crit.overall == "crit"
    warn = read_host(Thresholds(disk=min(used + 5, 100), warn_margin=10))
    assert next(d for d in warn.disks if d.mountpoint == "/").level == "warn"
    ok = read_host(Thresholds(disk=100, warn_margin=0))
    assert next(d for d in ok.disks if d.mountpoint == "/").level == "ok"


def test_cpu_sampler_measures_a_busy_process() -> None:
    sampler = CpuSampler(min_window=0.3)
    sampler.read()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.6)
        reading = sampler.read()
    finally:
        busy.kill()
        busy.wait()
    # one core of the machine was fully busy for the window
    assert reading.percent >= 100 / psutil.cpu_count() * 0.6
    assert reading.window_seconds >= 0.3


def test_top_processes_finds_the_cpu_hog() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        result = _tools(process_interval=0.5)["top_processes"].invoke(
            {"by": "cpu", "limit": 5}, CALLER
        )
    finally:
        busy.kill()
        busy.wait()
    assert result.ok
    hog = next((p for p in result.data if p["pid"] == busy.pid), None)
    assert hog is not None, result.text
    assert hog["cpu_percent"] > 50


def test_top_processes_by_memory_and_bad_args() -> None:
    tools = _tools(process_interval=0.05)
    result = tools["top_processes"].invoke({"by": "memory", "limit": 3}, CALLER)
    rss = [p["rss"] for p in result.data]
    assert rss == sorted(rss, reverse=True) and len(rss) == 3
    bad = tools["top_processes"].invoke({"by": "colour"}, CALLER)
    assert not bad.ok and "by" in bad.text


def test_disk_usage_finds_the_largest_directory(tmp_path: Path) -> None:
    (tmp_path / "big").mkdir()
    (tmp_path / "small").mkdir()
    (tmp_path / "big" / "blob").write_bytes(os.urandom(3 * 1024 * 1024))
    (tmp_path / "small" / "note").write_bytes(b"x" * 10)
    result = _tools()["disk_usage"].invoke({"path": str(tmp_path)}, CALLER)
    assert result.ok
    largest = result.data["largest"]
    assert largest[0]["path"].endswith("/big") and largest[0]["bytes"] >= 3 * 1024 * 1024
    assert result.data["complete"] is True
    assert "MiB" in result.text


def test_a_mount_point_is_not_said_to_be_on_itself(tmp_path: Path) -> None:
    root = _tools()["disk_usage"].invoke({"path": "/", "top": 1}, CALLER)
    assert root.ok and root.text.startswith("/: ") and "/ is on /" not in root.text
    inner = _tools()["disk_usage"].invoke({"path": str(tmp_path), "top": 1}, CALLER)
    mount = psutil.disk_partitions(all=True)  # the mount holding tmp_path, as df says
    held = max((p.mountpoint for p in mount if str(tmp_path).startswith(p.mountpoint)), key=len)
    if held != str(tmp_path):
        assert inner.text.startswith(f"{tmp_path} is on {held}: ")


@pytest.mark.parametrize(
    ("path", "message"),
    [("relative/path", "absolute"), ("/definitely/not/here", "does not exist")],
)
def test_disk_usage_bad_paths(path: str, message: str) -> None:
    result = _tools()["disk_usage"].invoke({"path": path}, CALLER)
    assert not result.ok and message in result.text


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self.send_response(200)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest")
        elif self.path == "/api/v1/query":
            self.send_response(400)
        else:
            self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_check_endpoint_up_down_and_refused(http_server: str) -> None:
    endpoints = {
        "api": f"{http_server}/healthz",
        "broken": f"{http_server}/boom",
        "moved": f"{http_server}/redirect",
        "closed": "http://127.0.0.1:9/healthz",
    }
    tool = _tools(endpoints=endpoints, endpoint_timeout=2.0)["check_endpoint"]
    up = tool.invoke({"target": "api"}, CALLER)
    assert up.ok and up.data[0]["status"] == 200 and up.data[0]["level"] == "ok"
    assert "is UP" in up.text
    down = tool.invoke({"target": "broken"}, CALLER)
    assert down.data[0]["status"] == 500 and down.data[0]["level"] == "crit" and "DOWN" in down.text
    moved = tool.invoke({"target": f"{http_server}/redirect"}, CALLER)  # by exact URL
    assert moved.data[0]["location"] == "http://169.254.169.254/latest"
    assert "not followed" in moved.text
    closed = tool.invoke({"target": "closed"}, CALLER)
    assert "connection failed" in closed.text
    everything = tool.invoke({}, CALLER)
    assert len(everything.data) == 4


def test_check_endpoint_refuses_unconfigured_targets(http_server: str) -> None:
    tool = _tools(endpoints={"api": f"{http_server}/healthz"})["check_endpoint"]
    refused = tool.invoke({"target": "http://169.254.169.254/latest/meta-data"}, CALLER)
    assert not refused.ok
    assert "not a configured endpoint" in refused.text and "ENDPOINTS" in refused.text
    none = _tools()["check_endpoint"].invoke({"target": "api"}, CALLER)
    assert not none.ok and "no endpoints are configured" in none.text


def test_check_endpoint_reads_tls_expiry(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "10",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}/healthz"
        result = _tools(endpoints={"tls": url}, tls_warn_days=14)["check_endpoint"].invoke(
            {"target": "tls"}, CALLER
        )
    finally:
        server.shutdown()
    probe = result.data[0]
    assert 9 <= probe["tls_days_left"] <= 10.01
    assert probe["tls_error"]  # self-signed: not trusted
    assert probe["level"] == "crit"  # clients cannot connect to an untrusted certificate
    assert "TLS certificate expires" in result.text


def test_query_metrics_against_a_prometheus_api(tmp_path: Path) -> None:
    emulator = PrometheusEmulator(
        series={
            "up": [
                ({"job": "api", "instance": "a:9100"}, lambda t: 0),
                ({"job": "db"}, lambda t: 1),
            ]
        },
        errors={"bad(": "parse error"},
    )
    with prometheus_emulator(emulator) as prom:
        tools = _tools(prometheus_url=prom.url)
        ok = tools["query_metrics"].invoke({"query": "up"}, CALLER)
        bad = tools["query_metrics"].invoke({"query": "bad("}, CALLER)
    assert ok.ok and "job=api" in ok.text and len(ok.data) == 2
    assert not bad.ok and "parse error" in bad.text
    assert "query_metrics" not in _tools()  # only offered when Prometheus is configured
