"""Slack HTTP-mode ack latency and time to the threaded reply, against the real process.

Usage: .venv/bin/python -m bench.slack_ack [--events 200] [--concurrency 20]
                                           [--question "what can you do?"] [--retries 0.1]
                                           [--client aiohttp|threads|httpx]

Three processes: the Slack Web API emulator, `python -m bot run` in HTTP mode pointed at it,
and this load generator (one asyncio loop with aiohttp, so the measuring side adds little;
httpx's async client adds tens of milliseconds of its own queuing at 20 in flight, so it is
only there for comparison). After a warm-up it sends N signed `app_mention` events (built
from the saved Slack payload) with C in flight at a time; a share of them is delivered
twice, as Slack's retries would be. Printed:
ack latency (the HTTP response to the signed POST; Slack allows 3 s, the goal is p99 <= 50 ms
at 20 concurrent), the time from sending an event to the answer replacing the "working"
placeholder in its thread, and whether any reply was lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench._util import REPO, clean_env, percentile, start_opsbot, stop, summary
from tests.slack.helpers import BOT_TOKEN, SECRET, mention, sign

BOT = "U0BOT"


class EmulatorProcess:
    """tests/emulators/slack.py in its own process, so it does not share our GIL. It stands in
    for Slack's servers, which do not run on the bot's host: at a lower CPU priority (nice 10)
    it does not take CPU from the bot being measured."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["nice", "-n", "10", sys.executable, "-m", "tests.emulators.slack", "--bot-user", BOT],
            cwd=REPO,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if " at " not in line:
            self.proc.kill()
            raise SystemExit(f"the Slack emulator did not start: {line!r}")
        self.url = line.split(" at ", 1)[1].split()[0]
        self.base = self.url.rsplit("/api/", 1)[0]

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        found = httpx.get(self.base + "/_emulator/calls", timeout=30).json()
        return [c for c in found if method is None or c["method"] == method]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start_bot(emulator_url: str, workdir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    settings = {
        "OPSBOT_DATA_DIR": str(workdir / "data"),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": emulator_url,
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "SLACK_WORKERS": str(workers),
    }
    return start_opsbot(workdir, settings)


def signed(body: dict[str, Any], retry: int | None = None) -> tuple[str, dict[str, str]]:
    """The raw JSON of an event and its headers: signed, marked as Slack's Nth retry."""
    raw = json.dumps(body)
    headers = {"Content-Type": "application/json", **sign(raw)}
    if retry:
        headers["X-Slack-Retry-Num"] = str(retry)
    return raw, headers


def send_all_threads(
    url: str, jobs: list[tuple[dict[str, Any], int | None]], concurrency: int
) -> tuple[list[float], list[int], dict[str, float], float]:
    """The same load from C threads, each with its own keep-alive connection."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    acks: list[float] = []
    statuses: list[int] = []
    sent_at: dict[str, float] = {}
    local = threading.local()
    barrier = threading.Barrier(concurrency)

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30)
        return local.client

    def warm(_: int) -> None:
        client().get(url.replace("/slack/events", "/healthz"))
        barrier.wait()

    def one(job: tuple[dict[str, Any], int | None]) -> None:
        body, retry = job
        raw, headers = signed(body, retry)
        sent_at.setdefault(body["event"]["ts"], time.monotonic())
        started = time.monotonic()
        status = client().post(url, content=raw, headers=headers).status_code
        acks.append((time.monotonic() - started) * 1000)
        statuses.append(status)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(warm, range(concurrency)))
        wall = time.monotonic()
        list(pool.map(one, jobs))
        return acks, statuses, sent_at, time.monotonic() - wall


async def send_all_aiohttp(
    url: str, jobs: list[tuple[dict[str, Any], int | None]], concurrency: int
) -> tuple[list[float], list[int], dict[str, float], float]:
    """The load from one asyncio loop with aiohttp (much less client overhead than httpx's
    async client, whose own queuing showed up as ack latency)."""
    import aiohttp

    acks: list[float] = []
    statuses: list[int] = []
    sent_at: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        health = url.replace("/slack/events", "/healthz")

        async def touch() -> None:
            async with session.get(health) as response:
                await response.read()

        await asyncio.gather(*(touch() for _ in range(concurrency)))
        gate = asyncio.Semaphore(concurrency)

        async def one(body: dict[str, Any], retry: int | None) -> None:
            raw, headers = signed(body, retry)
            async with gate:
                sent_at.setdefault(body["event"]["ts"], time.monotonic())
                started = time.monotonic()
                async with session.post(url, data=raw, headers=headers) as response:
                    await response.read()
                    acks.append((time.monotonic() - started) * 1000)
                    statuses.append(response.status)

        wall = time.monotonic()
        await asyncio.gather(*(one(body, retry) for body, retry in jobs))
        return acks, statuses, sent_at, time.monotonic() - wall


async def send_all(
    url: str, jobs: list[tuple[dict[str, Any], int | None]], concurrency: int
) -> tuple[list[float], list[int], dict[str, float], float]:
    acks: list[float] = []
    statuses: list[int] = []
    sent_at: dict[str, float] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        # open the connections before the clock starts
        await asyncio.gather(
            *(client.get(url.replace("/slack/events", "/healthz")) for _ in range(concurrency))
        )
        gate = asyncio.Semaphore(concurrency)

        async def one(body: dict[str, Any], retry: int | None) -> None:
            raw, headers = signed(body, retry)
            async with gate:
                sent_at.setdefault(body["event"]["ts"], time.monotonic())
                started = time.monotonic()
                response = await client.post(url, content=raw, headers=headers)
                acks.append((time.monotonic() - started) * 1000)
                statuses.append(response.status_code)

        wall = time.monotonic()
        await asyncio.gather(*(one(body, retry) for body, retry in jobs))
        return acks, statuses, sent_at, time.monotonic() - wall


def one_at_a_time(
    url: str, emulator: EmulatorProcess, question: str, count: int
) -> tuple[list[float], list[float]]:
    """Ack and reply latency of single events on an otherwise idle bot."""
    acks: list[float] = []
    replies: list[float] = []
    with httpx.Client(timeout=30) as client:
        for index in range(count):
            body = mention(question, channel=f"CIDLE{index}", bot_user=BOT)
            raw, headers = signed(body)
            started = time.monotonic()
            client.post(url, content=raw, headers=headers)
            acks.append((time.monotonic() - started) * 1000)
            deadline = started + 30
            while time.monotonic() < deadline:
                calls = emulator.calls()
                posted = [
                    c["response"].get("ts")
                    for c in calls
                    if c["method"] == "chat.postMessage"
                    and c["params"].get("thread_ts") == body["event"]["ts"]
                ]
                done = [
                    c["at"]
                    for c in calls
                    if c["method"] == "chat.update" and c["params"].get("ts") in posted
                ]
                if done:
                    replies.append((done[0] - started) * 1000)
                    break
                time.sleep(0.02)
    return acks, replies


def bucket_quantile(metrics: str, kind: str, q: float) -> float:
    """Upper bound (ms) of the histogram bucket holding quantile q of opsbot_slack_ack_seconds."""
    buckets: list[tuple[float, float]] = []
    for line in metrics.splitlines():
        if line.startswith("opsbot_slack_ack_seconds_bucket{") and f'kind="{kind}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.split()[-1])))
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    total = buckets[-1][1]
    return next(le for le, count in sorted(buckets) if count >= q * total) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--question", default="what can you do?")
    parser.add_argument("--retries", type=float, default=0.1, help="share delivered twice")
    parser.add_argument("--workers", type=int, default=8, help="SLACK_WORKERS of the bot")
    parser.add_argument("--client", choices=("aiohttp", "threads", "httpx"), default="aiohttp")
    args = parser.parse_args()

    emulator = EmulatorProcess()
    workdir = Path(tempfile.mkdtemp(prefix="opsbot-bench-slack-"))
    proc, base = start_bot(emulator.url, workdir, args.workers)
    url = base + "/slack/events"
    try:
        warm = [
            (mention(args.question, channel=f"CWARM{i}", bot_user=BOT), None) for i in range(10)
        ]
        asyncio.run(send_all(url, warm, 5))
        deadline = time.monotonic() + 60
        while len(emulator.calls("chat.update")) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)
        idle_ack, idle_reply = one_at_a_time(url, emulator, args.question, 10)
        skip = len(emulator.calls())

        events = [
            mention(args.question, channel=f"CBENCH{i % 10}", bot_user=BOT)
            for i in range(args.events)
        ]
        every = max(1, round(1 / args.retries)) if args.retries > 0 else 0
        jobs: list[tuple[dict[str, Any], int | None]] = []
        for index, body in enumerate(events):
            jobs.append((body, None))
            if every and index % every == 0:
                jobs.append((body, 1))
        if args.client == "threads":
            acks, statuses, sent_at, send_seconds = send_all_threads(url, jobs, args.concurrency)
        elif args.client == "aiohttp":
            acks, statuses, sent_at, send_seconds = asyncio.run(
                send_all_aiohttp(url, jobs, args.concurrency)
            )
        else:
            acks, statuses, sent_at, send_seconds = asyncio.run(
                send_all(url, jobs, args.concurrency)
            )

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            updates = [c for c in emulator.calls("chat.update") if c["status"] == 200]
            if len(updates) - 10 >= args.events:
                break
            time.sleep(0.5)
        time.sleep(1.0)  # late duplicates would show up here
        calls = emulator.calls()[skip:]
        metrics = httpx.get(base + "/metrics", timeout=10).text
    finally:
        stop(proc)
        emulator.stop()

    expected = {b["event"]["ts"] for b in events}
    placeholders = {
        c["response"]["ts"]: c["params"]["thread_ts"]
        for c in calls
        if c["method"] == "chat.postMessage" and c["status"] == 200 and c["response"].get("ok")
    }
    reply_ms: list[float] = []
    updates_per_thread: dict[str, int] = {}
    for call in calls:
        if call["method"] != "chat.update" or call["status"] != 200:
            continue
        thread = placeholders.get(call["params"]["ts"])
        if thread in expected:
            updates_per_thread[thread] = updates_per_thread.get(thread, 0) + 1
            reply_ms.append((call["at"] - sent_at[thread]) * 1000)
    posts_per_thread: dict[str, int] = {}
    for thread in placeholders.values():
        posts_per_thread[thread] = posts_per_thread.get(thread, 0) + 1
    lost = len(expected - set(updates_per_thread))
    duplicated = sum(n > 1 for n in updates_per_thread.values()) + sum(
        n > 1 for n in posts_per_thread.values()
    )
    retried = len(jobs) - args.events
    print(
        f"slack_ack: {args.events} events (+{retried} redelivered), concurrency "
        f"{args.concurrency}, SLACK_WORKERS={args.workers}, question {args.question!r}"
    )
    print(
        f"  HTTP statuses: {sorted(set(statuses))}; {len(jobs)} requests in {send_seconds:.2f}s "
        f"({len(jobs) / send_seconds:.0f}/s)"
    )
    print(f"  one event at a time, idle bot: ack ms {summary(idle_ack)}")
    print(f"  one event at a time, idle bot: reply ms {summary(idle_reply)}")
    print(f"  ack latency ms:            {summary(acks)}  max {max(acks):.1f}")
    print(
        "  of which inside the handler (server side, histogram bucket bound) ms: "
        f"p50 <= {bucket_quantile(metrics, 'event', 0.5):g}  "
        f"p99 <= {bucket_quantile(metrics, 'event', 0.99):g}"
    )
    if reply_ms:
        print(f"  time to threaded reply ms: {summary(reply_ms)}  max {max(reply_ms):.1f}")
    print(
        f"  replies: {len(updates_per_thread)}/{args.events}, lost {lost}, duplicated "
        f"{duplicated}, Slack 429s {sum(c['status'] == 429 for c in calls)}"
    )
    goal = percentile(acks, 99) <= 50.0 and lost == 0 and duplicated == 0
    print(f"  goal (ack p99 <= 50 ms, nothing lost or duplicated): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
