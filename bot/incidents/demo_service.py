"""The demo web service of `opsbot demo`'s incident tour: a real HTTP server on 127.0.0.1
that answers `GET /healthz` with 200, so opsbot's endpoint monitor sees it up or down.

    python -m bot.incidents.demo_service start --port PORT --pidfile FILE   # the restart command
    python -m bot.incidents.demo_service check --port PORT                  # exit 0 when it answers
    python -m bot.incidents.demo_service stop --pidfile FILE

`start` launches the server in its own session (it outlives the command that started it, as
a service started by `systemctl restart` does) and returns once the server answers, or fails
after 10 s. It is idempotent: a running server is left alone.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

START_TIMEOUT = 10.0


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}/healthz"


def answers(port: int, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url(port), timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ok = self.path.split("?", 1)[0] == "/healthz"
        body = b"ok\n" if ok else b"not found\n"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def serve(port: int, pidfile: Path) -> int:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Health)
    pidfile.write_text(f"{os.getpid()}\n")
    # shutdown() waits for serve_forever() to return, and the handler runs in the thread that
    # serves: calling it there would wait forever, so another thread asks for it
    signal.signal(
        signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start()
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
        if pidfile.exists() and pidfile.read_text().strip() == str(os.getpid()):
            pidfile.unlink()
    return 0


def start(port: int, pidfile: Path) -> int:
    if answers(port):
        print(f"demo-web already answers on {url(port)}")
        return 0
    subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.incidents.demo_service",
            "serve",
            "--port",
            str(port),
            "--pidfile",
            str(pidfile),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if answers(port):
            print(f"demo-web started: {url(port)} answers 200")
            return 0
        time.sleep(0.1)
    print(f"demo-web did not answer on {url(port)} within {START_TIMEOUT:g}s", file=sys.stderr)
    return 1


def stop(pidfile: Path) -> int:
    try:
        pid = int(pidfile.read_text().strip())
    except FileNotFoundError:
        print("demo-web is not running")
        return 0
    except ValueError:
        print(f"demo-web: {pidfile} does not hold a process id", file=sys.stderr)
        return 1
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pidfile.unlink(missing_ok=True)
        print("demo-web is not running")
        return 0
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and pidfile.exists():
        time.sleep(0.05)
    if pidfile.exists():
        print(f"demo-web (pid {pid}) did not stop within {START_TIMEOUT:g}s", file=sys.stderr)
        return 1
    print(f"demo-web stopped (pid {pid})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo_service", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "serve", "check", "stop"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--pidfile", type=Path)
    args = parser.parse_args(argv)
    if args.command in ("start", "serve", "check") and not 0 < args.port < 65536:
        parser.error("--port must be 1 to 65535")
    if args.command in ("start", "serve", "stop") and args.pidfile is None:
        parser.error("--pidfile is required")
    if args.command == "check":
        return 0 if answers(args.port) else 1
    if args.command == "serve":
        return serve(args.port, args.pidfile)
    if args.command == "start":
        return start(args.port, args.pidfile)
    return stop(args.pidfile)


if __name__ == "__main__":
    raise SystemExit(main())
