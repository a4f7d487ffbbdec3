"""`GET /metrics` on a real HTTP server: opsbot_llm_* series per prompt, label, version and
model from the stored calls (and the votes' effect nowhere else), capped in number with the
rest summed as prompt="(other)", and a failed read leaving the other series served."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.http.app import create_app
from bot.http.server import HttpServer
from bot.llm_series import install_llm_series
from bot.metrics import REGISTRY
from tests.llmops.otlp_data import export, span
from tools.llmops.spans import read_request


@pytest.fixture
def scrape(runtime: Any) -> Iterator[Any]:
    server = HttpServer(create_app(runtime.http_deps()), "127.0.0.1", 0)
    port = server.start()

    def get() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert answer.status_code == 200
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples
            if sample.name.startswith("opsbot_llm") or sample.name == "opsbot_up"
        }

    yield get
    server.stop()
    from bot.llm_series import _installed

    while _installed:
        REGISTRY.unregister(_installed.pop())


def _labels(prompt: str, label: str, version: str, model: str, **more: str) -> Any:
    found = {"prompt": prompt, "label": label, "version": version, "model": model, **more}
    return tuple(sorted(found.items()))


def test_series_per_prompt_version_and_their_cap(runtime: Any, scrape: Any) -> None:
    faq = {"opsbot.prompt.name": "faq", "opsbot.prompt.version": 2, "opsbot.prompt.label": "prod"}
    tokens = {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100}
    spans = [span(faq | tokens, duration_ms=100), span(faq | tokens, duration_ms=300, error=True)]
    spans += [span({"opsbot.prompt.name": f"p{n}"}) for n in range(3)]
    runtime.llm_spans.add(read_request(export(*spans)).calls)
    install_llm_series(lambda: runtime.llm_metrics, timedelta(hours=1), max_series=2)
    seen = scrape()
    key = _labels("faq", "prod", "2", "claude-sonnet-5-5")
    assert seen[("opsbot_llm_calls", key)] == 2 and seen[("opsbot_llm_errors", key)] == 1
    assert seen[("opsbot_llm_input_tokens", key)] == 2000
    assert seen[("opsbot_llm_cost_usd", key)] == pytest.approx(2 * (1000 * 2 + 100 * 10) / 1e6)
    latency = dict(key)
    assert seen[("opsbot_llm_latency_ms", _labels(**latency, quantile="0.5"))] == 100
    assert seen[("opsbot_llm_latency_ms", _labels(**latency, quantile="0.95"))] == 300
    calls = {k[1]: v for k, v in seen.items() if k[0] == "opsbot_llm_calls"}
    assert len(calls) == 3  # two groups of their own, then the rest summed
    assert calls[_labels("(other)", "", "", "")] == 2
    assert seen[("opsbot_llm_series_dropped", ())] == 2


def test_a_failed_read_leaves_the_other_series(runtime: Any, scrape: Any) -> None:
    def broken() -> Any:
        raise RuntimeError("database down")

    install_llm_series(broken, timedelta(hours=1), max_series=10)
    seen = scrape()
    assert ("opsbot_up", ()) in seen
    assert not [k for k in seen if k[0].startswith("opsbot_llm")]


def test_a_prompt_chart_by_version_from_the_cli_and_the_tool(
    make_runtime: Any, data_dir: Any, tmp_path: Any
) -> None:
    from core.access import Caller
    from tests.bot_process import opsbot
    from tests.llmops.otlp_data import now_nanos

    runtime = make_runtime()
    hour = 3600 * 10**9
    spans = [
        span({"opsbot.prompt.name": "faq", "opsbot.prompt.version": version},
             start=now_nanos() - n * hour // 4, error=version == 2 and n % 2 == 0)
        for version in (1, 2) for n in range(1, 12)
    ]  # fmt: skip
    runtime.llm_spans.add(read_request(export(*spans)).calls)
    result = runtime.toolbox.get("prompt_chart").invoke({"prompt": "faq"}, Caller("U1", "slack"))
    assert result.ok and result.data["versions"] == [1, 2]
    (png,) = result.files  # attached to the answer (bot/reply.py: the turn's files)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    out = tmp_path / "charts" / "faq.png"
    env = {"OPSBOT_DATA_DIR": str(data_dir)}
    drawn = opsbot("llm", "chart", "faq", "--out", str(out), "--since", "7d", env=env)
    assert drawn.returncode == 0, drawn.stderr
    assert f"written to {out}" in drawn.stdout and out.read_bytes()[:4] == b"\x89PNG"
    none = opsbot("llm", "chart", "nothing", "--out", str(tmp_path / "n.png"), env=env)
    assert none.returncode == 1 and "no chart" in none.stderr
    assert not (tmp_path / "n.png").exists()
