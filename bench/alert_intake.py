"""Alertmanager intake throughput on loopback, with deduplication (goal: >= 500 alerts/s, no
alert lost).

A server process (this script with --serve: the real Starlette app and uvicorn server of
`opsbot run`, the real incident engine on SQLite or PostgreSQL; triage switched off because
it is not part of intake) receives webhook v4 POSTs from client threads over keep-alive
connections. The traffic is what Alertmanager sends: G groups of K alerts each; every group
is re-sent R times (repeat_interval: exact duplicates), one round adds a new alert to every
group, and a last round resolves every other group. Afterwards the database is checked:
exactly one incident per group, every alert ever sent present in its group, the resolved
groups resolved, the others open. Figures: requests/s and alerts/s (alerts carried by the
requests), and the per-request latency.

Run:  .venv/bin/python bench/alert_intake.py [--groups 100 --alerts 5 --rounds 6
      --concurrency 8] [--postgres ADMIN_URL]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import clean_env, free_port, percentile, scratch_database, summary

TOKEN = "bench-token-0123456789"


# ---------------------------------------------------------------------- server side
def serve(port: int, data_dir: Path, database_url: str | None) -> int:
    import logging

    from bot.http.alertmanager import alertmanager_routes
    from bot.http.app import create_app
    from bot.http.server import HttpServer
    from bot.runtime import Runtime
    from bot.settings import load_settings

    logging.basicConfig(level=logging.WARNING)
    settings = load_settings(data_dir=data_dir, database_url=database_url, alertmanager_token=TOKEN)
    runtime = Runtime(settings)
    runtime.incidents.disable_triage()
    server = HttpServer(
        create_app(runtime.http_deps(), alertmanager_routes(runtime.http_deps())), "127.0.0.1", port
    )
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    server.stop()
    runtime.close()
    return 0


# ---------------------------------------------------------------------- traffic
def alert(group: int, index: int, status: str = "firing") -> dict[str, Any]:
    return {
        "status": status,
        "labels": {
            "alertname": f"BenchAlert{group}",
            "instance": f"host-{index}:9100",
            "severity": "critical" if index == 0 else "warning",
        },
        "annotations": {"summary": f"bench alert {group}/{index}"},
        "startsAt": "2026-11-26T09:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": f"{group:06d}{index:06d}",
    }


def webhook(group: int, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="BenchAlert{group}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "opsbot",
        "groupLabels": {"alertname": f"BenchAlert{group}"},
        "commonLabels": {"alertname": f"BenchAlert{group}"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }


def traffic(groups: int, per_group: int, rounds: int) -> tuple[list[list[bytes]], dict[str, Any]]:
    """Rounds of request bodies (each round may run in parallel; rounds run in order)."""
    plan: list[list[bytes]] = []
    expected: dict[int, set[str]] = {g: set() for g in range(groups)}
    members = {g: [alert(g, i) for i in range(per_group)] for g in range(groups)}
    alerts_sent = 0
    for round_no in range(rounds):
        if round_no == rounds // 2:  # a new alert joins every group
            for g in range(groups):
                members[g].append(alert(g, per_group))
        bodies = []
        for g in range(groups):
            body = webhook(g, copy.deepcopy(members[g]))
            expected[g].update(a["fingerprint"] for a in body["alerts"])
            alerts_sent += len(body["alerts"])
            bodies.append(json.dumps(body).encode())
        plan.append(bodies)
    final = []
    resolved = set()
    for g in range(0, groups, 2):
        body = webhook(g, [dict(a, status="resolved") for a in members[g]])
        alerts_sent += len(body["alerts"])
        resolved.add(g)
        final.append(json.dumps(body).encode())
    plan.append(final)
    return plan, {"expected": expected, "resolved": resolved, "alerts": alerts_sent}


# ---------------------------------------------------------------------- client side
def run_client(
    url: str, plan: list[list[bytes]], concurrency: int
) -> tuple[float, list[float], dict[str, int]]:
    import httpx

    local = threading.local()
    latencies: list[float] = []
    changes: dict[str, int] = {}
    lock = threading.Lock()

    def send(body: bytes) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                timeout=30,
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            )
        started = time.perf_counter()
        response = client.post(url, content=body)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        change = response.json()["change"]
        with lock:
            latencies.append(elapsed)
            changes[change] = changes.get(change, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for bodies in plan:
            list(pool.map(send, bodies))
    return time.perf_counter() - started, latencies, changes


def verify(database_url: str, facts: dict[str, Any], groups: int) -> list[str]:
    from sqlmodel import select

    from bot.incidents.tables import Incident, IncidentAlert
    from bot.storage.db import make_engine, session

    engine = make_engine(database_url)
    problems = []
    with session(engine) as db:
        rows = list(db.exec(select(Incident)))
        keys: dict[int, set[str]] = {}
        for state in db.exec(select(IncidentAlert)):
            keys.setdefault(state.incident_id, set()).add(state.key)
    engine.dispose()
    by_name: dict[str, list[Incident]] = {}
    for row in rows:
        by_name.setdefault(row.alertname, []).append(row)
    for g in range(groups):
        found = by_name.get(f"BenchAlert{g}", [])
        if len(found) != 1:
            problems.append(f"group {g}: {len(found)} incidents")
            continue
        row = found[0]
        stored = keys.get(row.id or 0, set())  # every alert's state, not only those shown
        missing = facts["expected"][g] - stored
        if missing:
            problems.append(f"group {g}: {len(missing)} alerts lost")
        want = "resolved" if g in facts["resolved"] else "open"
        if row.status != want:
            problems.append(f"group {g}: {row.status}, expected {want}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--alerts", type=int, default=5, help="alerts per group")
    parser.add_argument("--rounds", type=int, default=6, help="sends of every group")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", help="also run on a throwaway database on this server")
    args = parser.parse_args()
    if args.serve:
        return serve(args.port, args.data, args.database_url)

    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.postgres:
        targets.append(("postgres", args.postgres))
    plan, facts = traffic(args.groups, args.alerts, args.rounds)
    requests = sum(len(r) for r in plan)
    print(
        f"traffic: {args.groups} groups x {args.alerts}+1 alerts, {args.rounds} sends each, "
        f"then half resolved: {requests} requests carrying {facts['alerts']} alerts; "
        f"{args.concurrency} client threads"
    )
    ok = True
    for name, admin in targets:
        with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
            data = Path(tmp) / "data"
            data.mkdir()
            db_url = f"sqlite:///{data / 'opsbot.sqlite3'}"
            if admin:
                db_url = stack.enter_context(scratch_database(admin, "opsbot_bench"))
            port = free_port()
            cmd = [sys.executable, __file__, "--serve", "--port", str(port), "--data", str(data)]
            if admin:
                cmd += ["--database-url", db_url]
            server = subprocess.Popen(
                cmd, env=clean_env(), stdout=subprocess.PIPE, text=True, cwd=tmp
            )
            try:
                assert server.stdout is not None
                if server.stdout.readline().strip() != "ready":
                    raise RuntimeError("the intake server did not start")
                url = f"http://127.0.0.1:{port}/alerts/alertmanager"
                elapsed, latencies, changes = run_client(url, plan, args.concurrency)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(30)
            problems = verify(db_url, facts, args.groups)
        ok = ok and not problems
        print(
            f"{name}: {requests / elapsed:.0f} requests/s, {facts['alerts'] / elapsed:.0f} alerts/s "
            f"({elapsed:.2f} s); outcomes {dict(sorted(changes.items()))}"
        )
        print(f"{name}: request latency ms: {summary(latencies)}")
        print(
            f"{name}: no alert lost: {'yes' if not problems else 'NO: ' + '; '.join(problems[:5])}; "
            f"goal >= 500 alerts/s: {'meets' if facts['alerts'] / elapsed >= 500 else 'MISSES'}"
            f" (p99 latency {percentile(latencies, 99):.1f} ms)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    raise SystemExit(main())
