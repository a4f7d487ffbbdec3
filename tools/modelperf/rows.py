"""What a posted or imported prediction and outcome row is, checked one row at a time.

A prediction row: `id` (text or whole number, at most 200 characters), `timestamp` (ISO 8601,
a naive time is UTC, or epoch seconds; at most `MAX_AHEAD` ahead of our clock), `prediction`
(a finite number: a regressor's value, or a binary classifier's predicted class 0/1, true and
false accepted), optional `score` (a classifier's probability of class 1, in [0, 1]; a row
with a score is a classifier's and its prediction must be 0 or 1), optional `features`
({name: number, text, true/false or null}, at most `MAX_FEATURES`), optional `version` (3 or
"v3"; the batch's version, else the version behind the model's live alias). An outcome row:
`id` and `actual` (a finite number; 0/1 for a classifier's prediction).

A bad row is never fixed up: `RowProblem` names the field and why, and the caller keeps the
other rows (each answer lists the rejected rows by index or line).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.clock import as_utc, utcnow
from core.errors import Invalid

MAX_ID = 200
MAX_FEATURES = 200
MAX_FEATURE_TEXT = 200
MAX_AHEAD = timedelta(minutes=5)  # clock skew a sender may have


class RowProblem(Invalid, ValueError):
    """Why one row cannot be kept; the message names the field."""


@dataclass(frozen=True)
class Prediction:
    record_id: str
    ts: datetime
    prediction: float
    score: float | None = None
    features: dict[str, Any] = field(default_factory=dict)
    version: int | None = None  # None: the batch's or the live version

    def features_json(self) -> str:
        return json.dumps(self.features, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Outcome:
    record_id: str
    actual: float


@dataclass(frozen=True)
class Rejected:
    """A row that was not kept: its index in the batch (or its line in a file) and why."""

    index: int
    reason: str
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "reason": self.reason}


def record_id(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise RowProblem("id is missing (text or a whole number)")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise RowProblem(f"id must be text or a whole number, got {value!r}")
    text = value.strip()
    if len(text) > MAX_ID:
        raise RowProblem(f"id is longer than {MAX_ID} characters")
    return text


def number(value: Any, what: str) -> float:
    """A finite number from a number, true/false, or text that reads as one (CSV cells)."""
    original = value
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return 1.0 if text.lower() == "true" else 0.0
        try:
            value = float(text)
        except ValueError:
            raise RowProblem(f"{what} must be a number, got {value!r}") from None
    if not isinstance(value, int | float):
        raise RowProblem(f"{what} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise RowProblem(f"{what} is not a finite number ({original!r})")
    return result


def timestamp(value: Any, now: datetime | None = None) -> datetime:
    if value is None or value == "":
        raise RowProblem("timestamp is missing (ISO 8601 or epoch seconds)")
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            ts = datetime.fromtimestamp(float(value), UTC)
        elif isinstance(value, str):
            ts = as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        elif isinstance(value, datetime):
            ts = as_utc(value)
        else:
            raise ValueError
    except (ValueError, OverflowError, OSError):
        raise RowProblem(
            f"timestamp must be ISO 8601 or epoch seconds, got {str(value)[:60]!r}"
        ) from None
    if ts - (now or utcnow()) > MAX_AHEAD:
        raise RowProblem(f"timestamp {ts.isoformat()} is in the future")
    return ts


def version(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    digits = text[1:] if text[:1] in ("v", "V") else text
    if isinstance(value, bool) or not digits.isdigit() or int(digits) < 1:
        raise RowProblem(f"version must be a positive whole number such as 3 or v3, got {value!r}")
    return int(digits)


def features(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RowProblem("features must be an object {name: value}")
    if len(value) > MAX_FEATURES:
        raise RowProblem(f"more than {MAX_FEATURES} features")
    out: dict[str, Any] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_FEATURE_TEXT:
            raise RowProblem(f"feature name {str(name)[:40]!r} is empty or too long")
        if isinstance(item, float) and not math.isfinite(item):
            raise RowProblem(f"feature {name!r} is not a finite number")
        if isinstance(item, str) and len(item) > MAX_FEATURE_TEXT:
            raise RowProblem(f"feature {name!r} is longer than {MAX_FEATURE_TEXT} characters")
        if item is not None and not isinstance(item, str | int | float | bool):
            raise RowProblem(f"feature {name!r} must be a number, text, true/false or null")
        out[name] = item
    return out


def _spoiled(raw: dict[str, Any]) -> None:
    """A file row its reader could not shape (tools/modelperf/files.py) says why."""
    problem = raw.get("_problem")
    if isinstance(problem, str):
        raise RowProblem(problem)


def parse_prediction(raw: Any, now: datetime | None = None) -> Prediction:
    """One prediction row, or RowProblem naming what is wrong."""
    if not isinstance(raw, dict):
        raise RowProblem("a prediction must be an object")
    _spoiled(raw)
    rid = record_id(raw.get("id"))
    if raw.get("prediction") is None or raw.get("prediction") == "":
        raise RowProblem("prediction is missing")
    value = number(raw.get("prediction"), "prediction")
    score = None
    if raw.get("score") is not None and raw.get("score") != "":
        score = number(raw["score"], "score")
        if not 0.0 <= score <= 1.0:
            raise RowProblem(f"score must be a probability in [0, 1], got {score}")
        if value not in (0.0, 1.0):
            raise RowProblem("a row with a score is a classifier's: prediction must be 0 or 1")
    return Prediction(
        rid,
        timestamp(raw.get("timestamp"), now),
        value,
        score,
        features(raw.get("features")),
        version(raw.get("version")),
    )


def parse_outcome(raw: Any) -> Outcome:
    """One outcome row, or RowProblem naming what is wrong."""
    if not isinstance(raw, dict):
        raise RowProblem("an outcome must be an object")
    _spoiled(raw)
    rid = record_id(raw.get("id"))
    if raw.get("actual") is None or raw.get("actual") == "":
        raise RowProblem("actual is missing")
    return Outcome(rid, number(raw["actual"], "actual"))


def row_id(raw: Any) -> str | None:
    """The row's id as sent, for naming a rejected row; None when it has none."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return None if value is None or isinstance(value, dict | list) else str(value)[:MAX_ID]
