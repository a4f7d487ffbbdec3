"""Error bursts and new error templates in the allowlisted log files (LOG_SOURCES) become
incidents. Each check reads what each file gained since the last one (rotation and
truncation followed, tools/logs/follow.py), files it into templates and judges each
template against its own history (tools/logs/bursts.py). The state lives in the database,
so a restart resumes. A source that cannot be read is a finding of its own."""

from __future__ import annotations

from datetime import datetime

from core.incidents import CRITICAL, WARNING, Finding
from tools.logs.sources import resolve
from tools.logs.watch import LogWatcher


class LogMonitor:
    name = "logs"

    def __init__(self, watcher: LogWatcher, patterns: tuple[str, ...]) -> None:
        self.watcher = watcher
        self.patterns = patterns

    def run(self, now: datetime) -> list[Finding]:
        files, problems = resolve(list(self.patterns))
        findings = [self._unreadable(p.split(":", 1)[0], p) for p in problems]
        for path in files:
            try:
                checked = self.watcher.check(path)
            except OSError as exc:
                findings.append(self._unreadable(path, f"{path}: {exc.strerror or exc}"))
                continue
            for signal, template in checked.signals:
                findings.append(self._signal(path, signal.kind, template, signal.count,
                                             signal.usual, signal.samples))  # fmt: skip
        return findings

    def _signal(
        self, path: str, kind: str, template: str, count: int, usual: float, samples: list[str]
    ) -> Finding:
        short = template if len(template) <= 120 else template[:117] + "…"
        if kind == "burst":
            title = f"Error burst in {path}: {count}× “{short}” in one check (usually {usual:.1f})"
            severity = CRITICAL if count >= 10 * max(1.0, usual) else WARNING
        else:
            title = f"New error in {path}: “{short}” ({count}×)"
            severity = WARNING
        return Finding(
            monitor=self.name,
            alertname="LogErrorBurst",
            title=title,
            severity=severity,
            kind="logs",
            labels={"source": path, "template": template[:200]},
            summary=f"{'A burst of' if kind == 'burst' else 'A never-seen'} error template in "
            f"{path}. Sample lines below; `opsbot logs --source {path} --level error` shows more.",
            fields=[
                ("count", str(count)),
                ("usual per check", f"{usual:.1f}"),
                *(("sample", line[:300]) for line in samples),
            ],
        )

    def _unreadable(self, path: str, problem: str) -> Finding:
        return Finding(
            monitor=self.name,
            alertname="LogSourceUnreadable",
            title=f"Log source cannot be read: {problem}"[:300],
            severity=WARNING,
            kind="logs",
            labels={"source": path},
            summary=f"LOG_SOURCES names {path}, which cannot be read: {problem}. Its errors "
            "are not watched until it can.",
        )
