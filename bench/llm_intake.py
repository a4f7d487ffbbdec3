"""LLM trace intake and metrics (issue 17's goals: at least 5,000 spans/s with p99 at most 50 ms
per batch of 100, nothing lost; a prompt's 24-hour metrics in at most 50 ms with 1 million
spans stored), on SQLite and PostgreSQL.

Intake: the real `POST /v1/traces` route (Starlette app and server of `opsbot run`, bearer
token, protobuf bodies built with opentelemetry-proto) on loopback, `--batches` requests of
100 GenAI spans each from `--concurrency` client threads over keep-alive connections; the
stored count is checked against what was sent. Metrics: `--stored` calls are written to the
span store directly (spread over 7 days, 20 prompts, 3 labels, 2 models), then
`prompt_metrics`' query for one prompt over the last 24 hours is timed.

Run:  .venv/bin/python bench/llm_intake.py [--batches 300 --concurrency 4 --stored 1000000]
      [--postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import percentile, scratch_database, summary

TOKEN = "bench-token-0123456789"
PER_BATCH = 100


def _bodies(count: int) -> list[bytes]:
    from tests.llmops.otlp_data import export, now_nanos, span

    now = now_nanos()
    bodies = []
    for b in range(count):
        spans = [
            span(
                {
                    "gen_ai.usage.input_tokens": 800,
                    "gen_ai.usage.output_tokens": 200,
                    "opsbot.prompt.name": f"prompt-{i % 20}",
                    "opsbot.prompt.version": 1 + i % 3,
                    "opsbot.prompt.label": "production",
                },
                duration_ms=100 + i,
                error=i % 17 == 0,
                start=now - (b * PER_BATCH + i) * 1_000_000,
            )
            for i in range(PER_BATCH)
        ]
        bodies.append(export(*spans).SerializeToString())
    return bodies


def intake(database_url: str | None, batches: int, concurrency: int) -> tuple[float, list[float]]:
    import httpx

    from bot.http.app import create_app
    from bot.http.otlp import otlp_routes
    from bot.http.server import HttpServer
    from bot.runtime import Runtime
    from bot.settings import load_settings

    data = Path(tempfile.mkdtemp(prefix="opsbot-bench-llm-"))
    runtime = Runtime(
        load_settings(
            data_dir=data, database_url=database_url, otlp_token=TOKEN, llm_self_traces=False
        )
    )
    deps = runtime.http_deps()
    server = HttpServer(create_app(deps, otlp_routes(deps)), "127.0.0.1", 0)
    port = server.start()
    url = f"http://127.0.0.1:{port}/v1/traces"
    bodies = _bodies(batches)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-protobuf"}
    local = threading.local()

    def post(body: bytes) -> float:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=30)
        started = time.perf_counter()
        answer = client.post(url, content=body, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"intake answered {answer.status_code}: {answer.text[:200]}")
        return elapsed

    try:
        post(bodies[0])  # warm-up: the first request builds the store
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(post, bodies[1:]))
        seconds = time.perf_counter() - started
        stored = runtime.llm_spans.count()
        if stored != batches * PER_BATCH:
            raise RuntimeError(f"{batches * PER_BATCH} spans sent, {stored} stored")
        return (batches - 1) * PER_BATCH / seconds, latencies
    finally:
        server.stop()
        runtime.close()


def metrics(database_url: str | None, stored: int) -> tuple[float, list[float]]:
    from bot.runtime import Runtime
    from bot.settings import load_settings
    from core.clock import utcnow
    from tools.llmops.spans import LlmCall

    data = Path(tempfile.mkdtemp(prefix="opsbot-bench-llm-"))
    runtime = Runtime(
        load_settings(
            data_dir=data, database_url=database_url, otlp_token=TOKEN, llm_span_max_rows=stored
        )
    )
    try:
        store, rng, now = runtime.llm_spans, random.Random(1), utcnow()
        started = time.perf_counter()
        for first in range(0, stored, 5000):
            calls = [
                LlmCall(
                    trace_id=os.urandom(16).hex(),
                    span_id=os.urandom(8).hex(),
                    start=now - timedelta(seconds=rng.uniform(0, 7 * 86400)),
                    duration_ms=rng.uniform(50, 3000),
                    error=rng.random() < 0.03,
                    model=("claude-sonnet-5-5", "claude-haiku-4-5")[k % 2],
                    operation="chat",
                    input_tokens=800,
                    output_tokens=200,
                    service="support-bot",
                    prompt_name=f"prompt-{k % 20}",
                    prompt_version=1 + k % 3,
                    prompt_label=("production", "staging", "canary")[k % 3],
                )
                for k in range(first, min(stored, first + 5000))
            ]
            store.add(calls)
        load = time.perf_counter() - started
        timings = []
        for _ in range(7):
            began = time.perf_counter()
            groups = runtime.llm_metrics.prompt("prompt-3", now - timedelta(hours=24))
            timings.append((time.perf_counter() - began) * 1000)
            if not groups:
                raise RuntimeError("the prompt's 24-hour metrics are empty")
        return load, timings
    finally:
        runtime.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    with ExitStack() as stack:
        targets: list[tuple[str, str | None]] = [("SQLite", None)]
        if args.postgres:
            targets.append(("PostgreSQL", stack.enter_context(scratch_database())))
        for name, url in targets:
            rate, latencies = intake(url, args.batches, args.concurrency)
            print(
                f"{name} intake: {rate:,.0f} spans/s over {args.batches} batches of {PER_BATCH} "
                f"({args.concurrency} clients), per batch ms: {summary(latencies)} "
                f"(goal >= 5,000/s, p99 <= 50: {'met' if rate >= 5000 and percentile(latencies, 99) <= 50 else 'not met'})"
            )
        for name, url in targets:
            if args.postgres and url is not None:
                url = stack.enter_context(scratch_database())
            load, timings = metrics(url, args.stored)
            print(
                f"{name} metrics: {args.stored:,} calls stored in {load:.0f} s; one prompt's 24 h "
                f"metrics ms: {summary(timings)} "
                f"(goal p50 <= 50: {'met' if percentile(timings, 50) <= 50 else 'not met'})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
