"""Grafana Loki as a log source (`loki:<selector>` in LOG_SOURCES), over real HTTP to a Loki
API emulator: the window's newest lines by level and text, the bearer token and tenant sent,
only listed selectors read, and every failure a named problem of that source."""

from __future__ import annotations

import time
from pathlib import Path

from core.access import Caller
from tests.bot_process import opsbot
from tests.emulators.loki import LokiEmulator, loki_emulator
from tools.logs.loki import LokiConfig, read_stream
from tools.logs.tools import build_log_tools

CALLER = Caller("U1", "cli")
SELECTOR = '{app="checkout", env="prod"}'


def _emulator(**kwargs: object) -> LokiEmulator:
    now = time.time()
    entries = [
        (now - 7200, 'level=error msg="long ago"'),
        (now - 600, 'level=info msg="started worker 4"'),
        (now - 300, 'level=error msg="db pool exhausted (max=20)"'),
        (now - 60, "ERROR request failed: password=hunter2-is-secret"),
    ]
    other = [(now - 30, "ERROR from another pod")]
    return LokiEmulator(
        streams={SELECTOR: [({"app": "checkout", "pod": "a"}, entries),
                            ({"app": "checkout", "pod": "b"}, other)]},
        errors={'{app="bad"': 'parse error at line 1, col 11: syntax error: unexpected $end'},
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def test_search_logs_reads_a_loki_stream(tmp_path: Path) -> None:
    with loki_emulator(_emulator(token="loki-token-123")) as loki:
        config = LokiConfig(loki.url, token="loki-token-123", tenant="team-a")
        [tool] = build_log_tools((f"loki:{SELECTOR}",), loki=config)
        errors = tool.invoke({"level": "error", "since": "30m"}, CALLER)
        params, headers = loki.requests[-1]
    assert errors.ok, errors.text
    lines = [m["line"] for m in errors.data["matches"]]
    assert len(lines) == 3  # both pods, the window only, errors only
    assert "another pod" in lines[0] and "db pool exhausted" in lines[2]
    assert "hunter2-is-secret" not in errors.text  # redacted like a file's lines
    assert params["query"] == SELECTOR and params["direction"] == "backward"
    assert int(params["end"]) - int(params["start"]) == 30 * 60 * 10**9
    assert headers["authorization"] == "Bearer loki-token-123"
    assert headers["x-scope-orgid"] == "team-a"


def test_loki_problems_are_named_never_raised(tmp_path: Path) -> None:
    with loki_emulator(_emulator(token="right")) as loki:
        wrong = read_stream(f"loki:{SELECTOR}", LokiConfig(loki.url, token="wrong"), 100_000)
        refused = read_stream('loki:{app="bad"', LokiConfig(loki.url, token="right"), 100_000)
        budget = read_stream(f"loki:{SELECTOR}", LokiConfig(loki.url, token="right"), 150)
        limited = read_stream(f"loki:{SELECTOR}", LokiConfig(loki.url, token="right", limit=2),
                              100_000)  # fmt: skip
    assert wrong.problem == "cannot be read: Loki answered HTTP 401: no org id or bad token"
    assert refused.problem is not None and "not a Loki stream selector" in refused.problem
    assert budget.truncated and len(budget.lines) == 2  # the newest that fit
    assert limited.truncated and len(limited.lines) == 2
    down = read_stream(f"loki:{SELECTOR}", LokiConfig("http://127.0.0.1:9", timeout=2), 1000)
    assert down.problem is not None and "Loki at http://127.0.0.1:9 is unreachable" in down.problem
    unset = read_stream(f"loki:{SELECTOR}", None, 1000)
    assert unset.problem == "cannot be read: LOKI_URL is not set"
    widened = read_stream('loki:{app="checkout"} |= "x"', LokiConfig("http://127.0.0.1:9"), 1000)
    assert widened.problem is not None and "selector" in widened.problem  # no pipelines


def test_a_loki_error_answer_is_shown(tmp_path: Path) -> None:
    emulator = _emulator()
    emulator.errors[SELECTOR] = "max entries limit per query exceeded"
    with loki_emulator(emulator) as loki:
        got = read_stream(f"loki:{SELECTOR}", LokiConfig(loki.url), 100_000)
    assert got.problem == (
        "cannot be read: Loki answered HTTP 400: max entries limit per query exceeded"
    )


def test_opsbot_logs_reads_loki(tmp_path: Path) -> None:
    with loki_emulator(_emulator()) as loki:
        env = {"OPSBOT_DATA_DIR": str(tmp_path / "data"), "LOG_SOURCES": f"loki:{SELECTOR}",
               "LOKI_URL": loki.url}  # fmt: skip
        shown = opsbot("logs", "db pool", "--since", "1h", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "db pool exhausted" in shown.stdout and "long ago" not in shown.stdout


def test_an_answer_that_is_not_a_streams_result_is_named() -> None:
    from tests.emulators.http_get import serve_get

    bodies = [{"status": "success", "data": []}, {"status": "success", "data": {"resultType": "matrix"}},
              {"status": "error"}, [1, 2], {"status": "success", "data": {"resultType": "streams",
              "result": [{"values": [["not-a-number", "x"]]}]}}]  # fmt: skip
    for body in bodies:
        with serve_get(lambda path, params, headers, body=body: (200, body)) as url:
            got = read_stream(f"loki:{SELECTOR}", LokiConfig(url), 1000)
        assert got.problem is not None and "not a streams result" in got.problem, body
