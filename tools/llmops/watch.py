"""Which changes to a prompt's calls are watched, and the calls on each side of them.

Two kinds of change are watched for `RegressionConfig.watch` after they happen:
- a prompt label move, from the change log (kind `prompt_label`: before `production=v2`,
  after `production=v3`); only the latest move of each prompt and label, so a move back or
  forward ends the watch of the one before;
- a model change: a `gen_ai.request.model` first seen for a prompt and label after another
  model served it (unless a label move of that prompt and label came with it: the move's
  check covers it).
The calls before a change are those of the `window` before it; the calls after are those
since it, at most the last `window` (so a recovery shows). A call counts for a label when it
says that label, or says none and used the version the label held at that time (Langfuse
sends no label). The figures are compared in tools/llmops/regression.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.clock import as_utc, iso, utcnow
from tools.changes.store import Change, ChangeKind
from tools.llmops.prices import PriceTable
from tools.llmops.regression import Comparison, Feedback, RegressionConfig, Side, compare
from tools.llmops.tables import LlmSpanRow

_POINTER = re.compile(r"^(?P<label>[^=]+)=(?:v(?P<version>\d+)|\(unset\))$")
# (since) -> the prompt label moves recorded at or after it, newest first
LabelChanges = Callable[[datetime], list[Change]]
MAX_MODELS = 2000  # (prompt, label, model) groups read per check at most


@dataclass(frozen=True)
class Move:
    """A change to what serves a prompt's label: a label move or a new model."""

    prompt: str
    label: str
    at: datetime
    version: int | None  # the version the label holds after it
    previous_version: int | None
    model: str = ""  # a model change: the new model and the one before
    previous_model: str = ""
    change_id: int | None = None  # a label move: its change log entry

    @property
    def kind(self) -> str:
        return "model" if self.model else "label"

    def describe(self) -> str:
        if self.kind == "model":
            return f"model of {self.prompt} ({self.label}) {self.previous_model} → {self.model}"
        return f"{self.label} of {self.prompt} {_v(self.previous_version)} → {_v(self.version)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "prompt": self.prompt,
            "label": self.label,
            "at": iso(self.at),
            "version": self.version,
            "previous_version": self.previous_version,
            "model": self.model or None,
            "previous_model": self.previous_model or None,
            "change_id": self.change_id,
        }


def _v(version: int | None) -> str:
    return "(unset)" if version is None else f"v{version}"


@dataclass(frozen=True)
class Check:
    """One watched change and how its calls compare."""

    move: Move
    comparison: Comparison

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return self.move.to_dict() | {
            "before_calls": c.before_calls,
            "after_calls": c.after_calls,
            "regressed": [f.name for f in c.regressed],
            "skipped": c.skipped,
            "figures": [f.to_dict() for f in c.figures],
        }


def _pointer(text: str) -> tuple[str, int | None] | None:
    match = _POINTER.match(text.strip())
    if match is None:
        return None
    version = match.group("version")
    return match.group("label"), int(version) if version else None


def label_moves(changes: Iterable[Change]) -> list[Move]:
    """The latest move of each prompt and label among `changes` (newest first)."""
    moves: dict[tuple[str, str], Move] = {}
    for change in sorted(changes, key=lambda c: (c.at, c.id), reverse=True):
        if change.kind != ChangeKind.PROMPT_LABEL:
            continue
        after, before = _pointer(change.after), _pointer(change.before)
        if after is None:
            continue
        label, version = after
        previous = before[1] if before is not None and before[0] == label else None
        key = (change.target, label)
        if key not in moves:
            moves[key] = Move(change.target, label, change.at, version, previous,
                              change_id=change.id)  # fmt: skip
    return list(moves.values())


class RegressionWatch:
    """Finds the watched changes and compares the calls on each side of them."""

    def __init__(
        self,
        engine: Engine,
        prices: PriceTable,
        config: RegressionConfig,
        label_changes: LabelChanges,
        feedback: Feedback | None = None,
    ) -> None:
        self.engine = engine
        self.prices = prices
        self.config = config
        self.label_changes = label_changes
        self.feedback = feedback

    def moves(self, now: datetime) -> list[Move]:
        """The label moves and model changes made in the last `watch`."""
        labels = label_moves(self.label_changes(now - self.config.watch))
        return labels + self.model_changes(now, labels)

    def model_changes(self, now: datetime, labels: list[Move]) -> list[Move]:
        """Per prompt and label, the latest model first seen in the last `watch` after
        another model served it; none where a label move came between the two."""
        since = now - self.config.watch
        first, last = func.min(col(LlmSpanRow.start)), func.max(col(LlmSpanRow.start))
        keys = (col(LlmSpanRow.prompt_name), col(LlmSpanRow.prompt_label), col(LlmSpanRow.model))
        query = (
            select(*keys, first, last, func.max(col(LlmSpanRow.prompt_version)))
            .where(col(LlmSpanRow.start) >= since - self.config.window)
            .where(col(LlmSpanRow.prompt_name) != "", col(LlmSpanRow.model) != "")
            .group_by(*keys)
            .limit(MAX_MODELS)
        )
        groups: dict[tuple[str, str], list[tuple[str, datetime, datetime, int | None]]] = {}
        with self.engine.connect() as conn:
            for prompt, label, model, began, ended, version in conn.execute(query):
                groups.setdefault((prompt, label), []).append(
                    (model, as_utc(began), as_utc(ended), version)
                )
        moved = {(m.prompt, m.label): m.at for m in labels}
        found = []
        for (prompt, label), models in groups.items():
            models.sort(key=lambda m: m[1])
            for model, began, _, version in reversed(models):
                if began < since:
                    break
                earlier = [m for m in models if m[0] != model and m[1] < began]
                if not earlier:
                    continue
                previous = max(earlier, key=lambda m: min(m[2], began))
                move_at = moved.get((prompt, label))
                if move_at is not None and min(previous[2], began) <= move_at <= began:
                    break  # came with a label move
                found.append(Move(prompt, label, began, version, previous[3], model=model,
                                  previous_model=previous[0]))  # fmt: skip
                break
        return found

    def side(self, move: Move, start: datetime, end: datetime | None, after: bool) -> Side:
        """The calls of `move`'s prompt and label from `start` to `end` (exclusive; None: no
        end), after the move (its version, its new model) or before it."""
        version = move.version if after else move.previous_version
        row = LlmSpanRow
        said = col(row.prompt_label) == move.label
        label = said if version is None else or_(
            said, and_(col(row.prompt_label) == "", col(row.prompt_version) == version)
        )  # fmt: skip
        where = [col(row.prompt_name) == move.prompt, label, col(row.start) >= start]
        if end is not None:
            where.append(col(row.start) < end)
        if move.kind == "model":
            where.append(col(row.model) == move.model if after else col(row.model) != move.model)
        query = select(
            col(row.duration_ms), col(row.error), col(row.model), col(row.input_tokens),
            col(row.output_tokens), col(row.trace_id),
        ).where(*where)  # fmt: skip
        durations: list[float] = []
        costs: list[float] = []
        traces: list[str] = []
        errors = 0
        with self.engine.connect() as conn:
            for duration, error, model, tokens_in, tokens_out, trace in conn.execute(query):
                durations.append(float(duration))
                errors += 1 if error else 0
                traces.append(trace)
                if tokens_in is not None or tokens_out is not None:
                    cost = self.prices.cost(model, tokens_in or 0, tokens_out or 0)
                    if cost is not None:
                        costs.append(cost)
        return Side(durations, errors, costs, traces)

    def check(self, move: Move, now: datetime) -> Check:
        window = self.config.window
        before = self.side(move, move.at - window, move.at, after=False)
        after = self.side(move, max(move.at, now - window), None, after=True)
        return Check(move, compare(before, after, self.config, self.feedback))

    def run(self, now: datetime | None = None) -> list[Check]:
        """Every watched change, compared."""
        now = now or utcnow()
        return [self.check(move, now) for move in self.moves(now)]
