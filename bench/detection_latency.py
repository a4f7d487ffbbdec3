"""Detection latency: from a condition appearing to the incident's Slack post (goal: <= check
interval + 2 s).

The real `opsbot run` (Slack HTTP mode, INCIDENT_CHANNEL set) probes N configured endpoints,
served by this script on 127.0.0.1 and all healthy at first; the Slack Web API emulator runs
in its own process at a lower CPU priority. Each trial breaks one endpoint (HTTP 503) at a
random moment within the check interval and measures, on the machine's monotonic clock,
the time until the emulator receives the `chat.postMessage` of that endpoint's incident.
Detection needs one failed probe here (`--sustain 1`); with MONITOR_SUSTAIN_SAMPLES=N the
wait grows by N-1 intervals by design (one failed probe is not an incident).

Run:  .venv/bin/python bench/detection_latency.py [--interval 5 --trials 5 --sustain 1]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bench._util import REPO, percentile, start_opsbot, stop, summary
from bench.slack_ack import EmulatorProcess
from tests.incidents.httpd import Answer, Scripted
from tests.slack.helpers import BOT_TOKEN, SECRET

CHANNEL = "C0INCIDENTS"


def start_bot(
    workdir: Path, emulator_url: str, endpoints: dict[str, str], args: argparse.Namespace
) -> subprocess.Popen[bytes]:
    settings = {
        "OPSBOT_DATA_DIR": str(workdir / "data"),
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": emulator_url,
        "INCIDENT_CHANNEL": CHANNEL,
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "CHECK_INTERVAL_SECONDS": str(args.interval),
        "MONITOR_SUSTAIN_SAMPLES": str(args.sustain),
        "ENDPOINTS": ",".join(f"{k}={v}" for k, v in endpoints.items()),
        "ENDPOINT_TIMEOUT_SECONDS": "2",
        "DISK_FORECAST_HOURS": "0",
        "HOST_CPU_PCT": "100",
        "HOST_MEM_PCT": "100",
        "HOST_SWAP_PCT": "100",
        "HOST_DISK_PCT": "100",
    }
    (workdir / "data").mkdir()
    return start_opsbot(workdir, settings, cwd=REPO)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=int, default=5, help="CHECK_INTERVAL_SECONDS")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--sustain", type=int, default=1, help="MONITOR_SUSTAIN_SAMPLES")
    args = parser.parse_args()
    rng = random.Random(7)
    names = [f"ep{i}" for i in range(args.trials)]
    site = Scripted({f"/{n}": Answer(200, "ok") for n in names})
    emulator = EmulatorProcess()
    latencies: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proc = start_bot(Path(tmp), emulator.url, {n: site.url(f"/{n}") for n in names}, args)
            try:
                time.sleep(2 * args.interval)  # a couple of healthy cycles first
                for name in names:
                    time.sleep(rng.uniform(0, args.interval))
                    broken_at = time.monotonic()
                    site.answers[f"/{name}"] = Answer(503, "down")
                    deadline = broken_at + args.sustain * args.interval + 30
                    seen = None
                    while time.monotonic() < deadline and seen is None:
                        for call in emulator.calls("chat.postMessage"):
                            text = str(call["params"].get("text", ""))
                            thread = call["params"].get("thread_ts")
                            if not thread and f"{name} is down" in text and call["at"] >= broken_at:
                                seen = call["at"]
                                break
                        time.sleep(0.05)
                    if seen is None:
                        print(f"{name}: no incident post within {deadline - broken_at:.0f} s")
                        continue
                    latencies.append(seen - broken_at)
                    print(f"{name}: posted {seen - broken_at:.2f} s after it broke")
            finally:
                stop(proc)
    finally:
        emulator.stop()
        site.stop()
    if not latencies:
        print("no trial produced an incident post")
        return 1
    goal = (args.sustain - 1) * args.interval + args.interval + 2
    worst = max(latencies)
    print(f"detection latency s (interval {args.interval} s, sustain {args.sustain}): "
          f"{summary(latencies)}; max {worst:.2f}")  # fmt: skip
    print(
        f"goal <= interval + 2 s = {goal:g} s (per extra sustain sample + 1 interval): "
        f"{'meets' if worst <= goal else 'MISSES'} (p50 {percentile(latencies, 50):.2f} s); "
        f"{len(latencies)}/{args.trials} trials posted"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
