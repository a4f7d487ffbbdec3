"""Scores on traces: what people and evaluators thought of an LLM app's answers.

A score names a trace (32 hex characters; optionally one span of it, 16 hex), has a name
("user_feedback", "accuracy"...), a value (a number; a boolean is stored as 1 or 0, so the
mean of 👍/👎 votes is the share of 👍), an optional comment and who gave it. The same
trace, span, name and author once more replaces the value (a changed vote; an app's retry
stores nothing twice). A score may arrive before its trace (exporters batch their spans):
it is kept, answered `trace_known: false`, and counts in the metrics once spans with its
trace id are stored. Scores are pruned like the spans: older than the retention, and the
oldest beyond the row cap.

The mean feedback of a group of calls (per prompt version, label and model) joins the
scores named `FEEDBACK` to the calls' spans by trace id (and span id when the score names
one): `feedback_groups` for LlmMetrics, `ScoreStore.mean_feedback` for the regression
monitor.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from core.clock import utcnow
from core.errors import Invalid
from tools.llmops.store import BoundedStore
from tools.llmops.tables import LlmSpanRow, ScoreRow

log = logging.getLogger(__name__)

FEEDBACK = "user_feedback"  # the score name the Slack buttons give and the metrics average
FIELDS = {"trace_id", "span_id", "name", "value", "comment", "author"}
MAX_NAME, MAX_COMMENT, MAX_AUTHOR = 100, 2000, 200
MAX_VALUE = 1e9
TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
SPAN_ID = re.compile(r"^[0-9a-f]{16}$")
NOT_LLM_CALLS = ("execute_tool", "invoke_agent")  # spans of a turn that are not model calls


@dataclass(frozen=True)
class Score:
    trace_id: str
    name: str
    value: float
    span_id: str = ""
    comment: str = ""
    author: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id or None,
            "name": self.name,
            "value": self.value,
            "comment": self.comment,
            "author": self.author,
        }


def _id(data: Mapping[str, Any], key: str, pattern: re.Pattern[str], size: int) -> str | None:
    value = data.get(key)
    if not isinstance(value, str) or not pattern.match(value.lower()) or not value.strip("0"):
        return f"{key} must be {size} hex characters, not all zero (got {value!r:.60})"
    return None


def _text(data: Mapping[str, Any], key: str, limit: int, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        return f"{key} must be {'a non-empty' if required else 'a'} string"
    if len(value) > limit:
        return f"{key} is longer than {limit} characters"
    if "\x00" in value:
        return f"{key} contains a NUL character"
    return None


def _value(raw: Any) -> tuple[float | None, str | None]:
    if isinstance(raw, bool):
        return (1.0 if raw else 0.0), None
    if not isinstance(raw, int | float) or not math.isfinite(raw) or abs(raw) > MAX_VALUE:
        return None, f"value must be a boolean or a finite number within ±{MAX_VALUE:g}"
    return float(raw), None


def parse_score(data: Any) -> Score:
    """The score a `POST /scores` body describes, or Invalid naming every problem."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object {trace_id, name, value, comment?, span_id?}")
    problems = [f"unknown field {k!r}" for k in sorted(set(data) - FIELDS, key=str)]
    problems.append(_id(data, "trace_id", TRACE_ID, 32) or "")
    if data.get("span_id") is not None:
        problems.append(_id(data, "span_id", SPAN_ID, 16) or "")
    problems.append(_text(data, "name", MAX_NAME, required=True) or "")
    problems.append(_text(data, "comment", MAX_COMMENT) or "")
    problems.append(_text(data, "author", MAX_AUTHOR) or "")
    value, wrong = (None, "value is required") if "value" not in data else _value(data["value"])
    problems.append(wrong or "")
    problems = [p for p in problems if p]
    if problems or value is None:
        raise Invalid("; ".join(problems))
    return Score(
        trace_id=data["trace_id"].lower(),
        name=data["name"].strip(),
        value=value,
        span_id=(data.get("span_id") or "").lower(),
        comment=data.get("comment") or "",
        author=data.get("author") or "",
    )


@dataclass(frozen=True)
class Recorded:
    """What storing a score did: `previous` is the value it replaced (None: a new score);
    `trace_known` says whether spans of its trace are stored yet."""

    score: Score
    previous: float | None
    trace_known: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score.to_dict(),
            "replaced": self.previous is not None,
            "trace_known": self.trace_known,
        }


@dataclass(frozen=True)
class Feedback:
    """The mean of the feedback scores on a group of calls, and how many there were."""

    count: int
    mean: float | None  # None without any score


def feedback_groups(
    conn: Connection, columns: Sequence[Any], filters: Sequence[Any], name: str = FEEDBACK
) -> dict[tuple[Any, ...], Feedback]:
    """Feedback per distinct value of the span `columns`, over the spans `filters` keep:
    each score counts once per group it reaches (a trace of several calls of one group)."""
    span, score = LlmSpanRow, ScoreRow
    reached = and_(
        col(span.trace_id) == col(score.trace_id),
        or_(col(score.span_id) == "", col(score.span_id) == col(span.span_id)),
    )
    pairs = (
        select(col(score.id).label("score_id"), col(score.value).label("score_value"), *columns)
        .join(span, reached)
        .where(col(score.name) == name, *filters)
        .distinct()
        .subquery()
    )
    keys = [pairs.c[c.name] for c in columns]
    query = select(*keys, func.count(), func.avg(pairs.c.score_value)).group_by(*keys)
    found: dict[tuple[Any, ...], Feedback] = {}
    for row in conn.execute(query):
        count, mean = row[len(keys)], row[len(keys) + 1]
        found[tuple(row[: len(keys)])] = Feedback(int(count), round(float(mean), 4))
    return found


class ScoreStore(BoundedStore):
    """Scores, bounded like the spans (the same retention and row cap)."""

    table = ScoreRow
    what = "scores"

    def when(self) -> Any:
        return col(ScoreRow.created_at)

    def record(self, score: Score, source: str) -> Recorded:
        """Store `score` (replacing the same trace, span, name and author's) in one
        transaction."""
        now = utcnow()
        key = (score.trace_id, score.span_id, score.name, score.author)
        row = {**score.to_dict(), "span_id": score.span_id, "source": source}
        stmt = self._insert(ScoreRow).values(**row, created_at=now, updated_at=now)
        changes = {"value": score.value, "comment": score.comment, "source": source}
        stmt = stmt.on_conflict_do_update(
            index_elements=["trace_id", "span_id", "name", "author"],
            set_={**changes, "updated_at": now},
        )
        with self.engine.begin() as conn:
            previous = conn.execute(
                select(col(ScoreRow.value)).where(*self._key(*key)).with_for_update()
            ).scalar_one_or_none()
            conn.execute(stmt)
            known = conn.execute(
                select(col(LlmSpanRow.id)).where(col(LlmSpanRow.trace_id) == score.trace_id)
            ).first()
        self._maybe_prune()
        return Recorded(score, previous, known is not None)

    @staticmethod
    def _key(trace_id: str, span_id: str, name: str, author: str) -> list[Any]:
        return [
            col(ScoreRow.trace_id) == trace_id,
            col(ScoreRow.span_id) == span_id,
            col(ScoreRow.name) == name,
            col(ScoreRow.author) == author,
        ]

    def get(self, trace_id: str, name: str, author: str, span_id: str = "") -> float | None:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(col(ScoreRow.value)).where(*self._key(trace_id, span_id, name, author))
            ).scalar_one_or_none()
        return None if found is None else float(found)

    def values(self, trace_ids: Sequence[str], name: str = FEEDBACK) -> list[float]:
        """Every `name` score given on these traces (the regression monitor compares the
        feedback on the calls before a change with the calls after it)."""
        ids = sorted(set(trace_ids))
        found: list[float] = []
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):  # inside SQLite's bound-parameter limit
                chunk = ids[start : start + 500]
                found.extend(
                    float(v)
                    for v in conn.execute(
                        select(col(ScoreRow.value))
                        .where(col(ScoreRow.trace_id).in_(chunk))
                        .where(col(ScoreRow.name) == name)
                    ).scalars()
                )
        return found

    def mean_feedback(
        self, prompt: str, label: str | None, since: datetime, until: datetime
    ) -> Feedback:
        """The mean feedback on the calls of `prompt` (with `label`; None: any) that started
        in [since, until): for the regression monitor's before/after comparison."""
        filters = [
            col(LlmSpanRow.prompt_name) == prompt,
            col(LlmSpanRow.start) >= since,
            col(LlmSpanRow.start) < until,
            col(LlmSpanRow.operation).not_in(NOT_LLM_CALLS),
        ]
        if label is not None:
            filters.append(col(LlmSpanRow.prompt_label) == label)
        with self.engine.connect() as conn:
            groups = feedback_groups(conn, [col(LlmSpanRow.prompt_name)], filters)
        return groups.get((prompt,), Feedback(0, None))
