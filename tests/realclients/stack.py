"""The real Prometheus 2.42 and Alertmanager 0.25 as subprocesses, for end-to-end tests.

`binary(name)` finds Debian's build unpacked by `scripts/test_binaries.sh` (in
.cache/prometheus/bin, else on PATH) and skips the test with the reason when it is absent.
`Prometheus` and `Alertmanager` write their configuration under a temporary directory, start
on free ports of 127.0.0.1, wait until ready, and stop at the end of the `with` block.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest
import yaml

from tests.bot_process import REPO, free_port, wait_ok

BIN = REPO / ".cache" / "prometheus" / "bin"
DEBIAN_TEMPLATES = "/usr/share/prometheus/alertmanager"  # fixed in Debian's build


def binary(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: run scripts/test_binaries.sh (needs apt-get)")
    return found


class _Server:
    name = "server"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[Any] | None = None
        self.log = self.root / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def __enter__(self) -> _Server:
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                self.command(), cwd=self.root, stdout=out, stderr=subprocess.STDOUT
            )
        if not wait_ok(f"{self.url}/-/ready", self.proc, 60):
            self.stop()
            raise AssertionError(f"{self.name} never became ready:\n{self.log.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Prometheus(_Server):
    """Prometheus scraping `targets` ({job: "host:port"}) every second, evaluating `rules`
    (a list of rule dicts, one group) every second, sending alerts to `alertmanager`."""

    name = "prometheus"

    def __init__(
        self,
        root: Path,
        targets: dict[str, str] | None = None,
        rules: list[dict[str, Any]] | None = None,
        alertmanager: str | None = None,
        external_labels: dict[str, str] | None = None,
    ) -> None:
        super().__init__(root)
        config: dict[str, Any] = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": [target]}]}
                for job, target in (targets or {}).items()
            ],
        }
        if external_labels:
            config["global"]["external_labels"] = external_labels
        if rules:
            (self.root / "rules.yml").write_text(
                yaml.safe_dump({"groups": [{"name": "e2e", "interval": "1s", "rules": rules}]})
            )
            config["rule_files"] = [str(self.root / "rules.yml")]
        if alertmanager:
            target = alertmanager.removeprefix("http://")
            config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}
        (self.root / "prometheus.yml").write_text(yaml.safe_dump(config))

    def command(self) -> list[str]:
        return [
            binary("prometheus"),
            f"--config.file={self.root / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.root / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            # an alert evaluated before the Alertmanager is discovered is dropped and sent
            # again only after this delay (1 minute by default)
            "--rules.alert.resend-delay=1s",
        ]

    def wait_query(self, promql: str, timeout: float = 60.0) -> list[dict[str, Any]]:
        """The vector `promql` answers once it has at least one series."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}).json()
            if body.get("status") == "success" and body["data"]["result"]:
                return list(body["data"]["result"])
            time.sleep(0.5)
        raise AssertionError(f"`{promql}` never had a series:\n{self.output()[-3000:]}")


class Alertmanager(_Server):
    """Alertmanager sending every group to `webhook` with `token` as bearer credentials,
    quickly (group_wait 1s, group_interval 2s), resolved notifications included."""

    name = "alertmanager"

    def __init__(self, root: Path, webhook: str, token: str, repeat: str = "1h") -> None:
        super().__init__(root)
        config = {
            "route": {
                "receiver": "opsbot",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "2s",
                "repeat_interval": repeat,
            },
            "receivers": [
                {
                    "name": "opsbot",
                    "webhook_configs": [
                        {
                            "url": webhook,
                            "send_resolved": True,
                            "http_config": {"authorization": {"credentials": token}},
                        }
                    ],
                }
            ],
        }
        (self.root / "alertmanager.yml").write_text(yaml.safe_dump(config))

    def command(self) -> list[str]:
        if not Path(DEBIAN_TEMPLATES, "default.tmpl").exists():
            pytest.skip(f"Debian's Alertmanager needs {DEBIAN_TEMPLATES}/default.tmpl: run "
                        "scripts/test_binaries.sh as a user who may write there")  # fmt: skip
        return [
            binary("prometheus-alertmanager"),
            f"--config.file={self.root / 'alertmanager.yml'}",
            f"--storage.path={self.root / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
        ]
