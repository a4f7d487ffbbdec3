"""Metrics of the stored LLM calls over a window: calls, error rate, latency p50/p95, tokens
and cost, grouped by prompt version, label and model, or by model or service.

Counts and token sums are computed in SQL, grouped by the keys and the model (cost needs
the model); the latency percentiles from the durations, read in order, because SQLite has no
percentile function (nearest-rank percentiles, the same on both databases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.stats import nearest_rank
from tools.llmops.prices import PriceTable
from tools.llmops.tables import LlmSpanRow

KEYS = {
    "prompt": col(LlmSpanRow.prompt_name),
    "version": col(LlmSpanRow.prompt_version),
    "label": col(LlmSpanRow.prompt_label),
    "model": col(LlmSpanRow.model),
    "service": col(LlmSpanRow.service),
}


@dataclass
class Stats:
    """One group's figures."""

    key: dict[str, Any]
    calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0  # dollars, of the calls whose model is priced
    unpriced: list[str] = field(default_factory=list)  # models without a price
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    def to_dict(self) -> dict[str, Any]:
        return self.key | {
            "calls": self.calls,
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost, 6),
            "unpriced_models": self.unpriced,
        }


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The nearest-rank `q` percentile (0 < q <= 1) of ascending values."""
    return round(nearest_rank(ordered, q * 100), 3) if ordered else None


@dataclass(frozen=True)
class LlmMetrics:
    engine: Engine
    prices: PriceTable

    def grouped(self, keys: Sequence[str], since: datetime, *where: Any) -> list[Stats]:
        """Figures per distinct value of `keys` for calls started at or after `since`."""
        columns = [KEYS[k] for k in keys]
        filters = [col(LlmSpanRow.start) >= since, *where]
        model = col(LlmSpanRow.model)
        sums = (
            select(
                *columns,
                model,
                func.count(),
                func.sum(case((col(LlmSpanRow.error), 1), else_=0).cast(Integer)),
                func.coalesce(func.sum(col(LlmSpanRow.input_tokens)), 0),
                func.coalesce(func.sum(col(LlmSpanRow.output_tokens)), 0),
            )
            .where(*filters)
            .group_by(*columns, model)
        )
        durations = (
            select(*columns, col(LlmSpanRow.duration_ms))
            .where(*filters)
            .order_by(*columns, col(LlmSpanRow.duration_ms))
        )
        groups: dict[tuple[Any, ...], Stats] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(sums):
                key = tuple(row[: len(keys)])
                name, calls, errors, tokens_in, tokens_out = row[len(keys) :]
                stats = groups.setdefault(key, Stats(dict(zip(keys, key, strict=True))))
                stats.calls += int(calls)
                stats.errors += int(errors or 0)
                stats.input_tokens += int(tokens_in)
                stats.output_tokens += int(tokens_out)
                cost = self.prices.cost(name, int(tokens_in), int(tokens_out))
                if cost is None:
                    stats.unpriced.append(name or "(no model)")
                else:
                    stats.cost += cost
            values: dict[tuple[Any, ...], list[float]] = {}
            for row in conn.execute(durations):
                values.setdefault(tuple(row[: len(keys)]), []).append(float(row[len(keys)]))
        for key, ordered in values.items():
            groups[key].p50_ms = percentile(ordered, 0.50)
            groups[key].p95_ms = percentile(ordered, 0.95)
        return sorted(groups.values(), key=lambda s: (-s.calls, str(tuple(s.key.values()))))

    def prompt(self, name: str, since: datetime, version: int | None = None) -> list[Stats]:
        """A prompt's calls per version, label and model."""
        where = [col(LlmSpanRow.prompt_name) == name]
        if version is not None:
            where.append(col(LlmSpanRow.prompt_version) == version)
        return self.grouped(("version", "label", "model"), since, *where)

    def usage(self, by: str, since: datetime) -> list[Stats]:
        """Every call per model or per service."""
        return self.grouped((by,), since)
