"""One check of one followed log source: the lines appended since the last check, filed into
templates (Drain), judged against each template's history (bursts.py); the state to store.
Pure apart from reading the file; the monitor (bot/monitors/logs.py) stores the state."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import utcnow
from tools.logs.bursts import Signal, TemplateStats, judge
from tools.logs.drain import Drain
from tools.logs.follow import Appended, Position, read_appended
from tools.logs.tables import LogSourceState

log = logging.getLogger(__name__)


@dataclass
class SourceCheck:
    source: str
    signals: list[tuple[Signal, str]] = field(default_factory=list)  # (signal, template text)
    lines: int = 0
    appended: Appended | None = None


class LogWatcher:
    """Reads each source's state from the database, checks it, and writes it back."""

    def __init__(self, engine: Engine, budget: int = 2_000_000) -> None:
        self._engine = engine
        self.budget = budget

    def _load(self, source: str) -> tuple[Position | None, int, Drain, dict[str, TemplateStats]]:
        with Session(self._engine) as session:
            row = session.get(LogSourceState, source)
        if row is None:
            return None, 0, Drain(), {}
        try:
            blob: dict[str, Any] = json.loads(row.state)
            drain = Drain.from_state(blob["drain"])
            stats = {k: TemplateStats.from_json(v) for k, v in blob["stats"].items()}
        except Exception as exc:
            log.error("log state of %s unreadable (%s); it learns again", source, exc)
            return Position(row.inode, row.read_offset, row.head), 0, Drain(), {}
        return Position(row.inode, row.read_offset, row.head), row.windows, drain, stats

    def _save(
        self, source: str, position: Position, windows: int, drain: Drain,
        stats: dict[str, TemplateStats],
    ) -> None:  # fmt: skip
        blob = {"drain": drain.to_state(), "stats": {k: v.to_json() for k, v in stats.items()}}
        with Session(self._engine) as session:
            row = session.get(LogSourceState, source) or LogSourceState(source=source, state="")
            row.inode, row.read_offset, row.windows = position.inode, position.offset, windows
            row.head = position.head
            row.state = json.dumps(blob)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()

    def check(self, source: str) -> SourceCheck:
        """One check of `source`. Raises OSError when it cannot be read (its state is kept)."""
        position, windows, drain, stats = self._load(source)
        appended = read_appended(source, position, self.budget)
        result = SourceCheck(source, lines=len(appended.lines), appended=appended)
        if position is not None:  # the first look only sets the position
            window: dict[str, list[str]] = {}
            for line in appended.lines:
                if line.strip():
                    cluster, _ = drain.add(line)
                    window.setdefault(str(cluster), []).append(line)
            names = drain.templates()
            signals = judge(stats, windows, window)
            result.signals = [(s, names.get(int(s.template), s.template)) for s in signals]
            windows += 1
        self._save(source, appended.position, windows, drain, stats)
        return result
