"""What opsbot itself used, from its own spans (service `opsbot`, bot/self_traces.py): per
day, its turns, incident triages, model calls (the turns' and the triages'), tokens, cost and
turn latency p50/p95; per tool, its calls, errors and latency p50/p95. The agent tool `opsbot_usage` and `opsbot usage`.

The spans of the window are read in one query and summed here (a day is a UTC date, the
same on SQLite and PostgreSQL); the window is at most 90 days and the store is bounded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.access import Caller
from core.clock import as_utc, checked_window, parse_window, utcnow
from tools.base import OpsTool, ToolResult
from tools.llmops.metrics import percentile
from tools.llmops.prices import PriceTable
from tools.llmops.tables import LlmSpanRow
from tools.llmops.tools import _ms

SERVICE = "opsbot"
TURN, CHAT, TOOL, TRIAGE = "invoke_agent", "chat", "execute_tool", "triage"


@dataclass
class Bucket:
    """The figures of one day or one tool."""

    turns: int = 0
    triages: int = 0  # incident triages (graphs/triage.py), each a trace of its own
    calls: int = 0  # model calls (a day), tool calls (a tool)
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    unpriced: set[str] = field(default_factory=set)
    durations: list[float] = field(default_factory=list)  # turns (a day), calls (a tool)

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.durations)
        return {
            "turns": self.turns,
            "triages": self.triages,
            "calls": self.calls,
            "errors": self.errors,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost, 6),
            "unpriced_models": sorted(self.unpriced),
            "p50_ms": percentile(ordered, 0.50),
            "p95_ms": percentile(ordered, 0.95),
        }


@dataclass(frozen=True)
class SelfUsage:
    engine: Engine
    prices: PriceTable

    def read(self, since: datetime) -> tuple[dict[str, Bucket], dict[str, Bucket]]:
        """Per UTC day (YYYY-MM-DD) and per tool, from `since`."""
        span = LlmSpanRow
        query = select(
            col(span.start), col(span.operation), col(span.model), col(span.error),
            col(span.input_tokens), col(span.output_tokens), col(span.duration_ms),
            col(span.tool_name),
        ).where(col(span.service) == SERVICE, col(span.start) >= since)  # fmt: skip
        days: dict[str, Bucket] = defaultdict(Bucket)
        tools: dict[str, Bucket] = defaultdict(Bucket)
        with self.engine.connect() as conn:
            for start, operation, model, error, tokens_in, tokens_out, ms, tool in conn.execute(
                query
            ):
                day = days[as_utc(start).date().isoformat()]
                if operation == TURN:
                    day.turns += 1
                    day.durations.append(float(ms))
                elif operation == TRIAGE:
                    day.triages += 1
                elif operation == TOOL:
                    bucket = tools[tool or "(unnamed)"]
                    bucket.calls += 1
                    bucket.errors += int(bool(error))
                    bucket.durations.append(float(ms))
                else:
                    day.calls += 1
                    day.errors += int(bool(error))
                    day.input_tokens += tokens_in or 0
                    day.output_tokens += tokens_out or 0
                    cost = self.prices.cost(model, tokens_in or 0, tokens_out or 0)
                    if cost is None:
                        day.unpriced.add(model or "(no model)")
                    else:
                        day.cost += cost
        return dict(sorted(days.items())), dict(sorted(tools.items()))


class UsageArgs(BaseModel):
    since: Annotated[str, AfterValidator(checked_window)] = Field(
        "7d", description="How far back: 30m, 2h, 7d (at most 90d)"
    )


def day_line(day: str, figures: dict[str, Any]) -> str:
    unpriced = " (+ unpriced: " + ", ".join(figures["unpriced_models"]) + ")"
    return (
        f"{day}: {figures['turns']} turn(s), {figures['triages']} triage(s), "
        f"{figures['calls']} model call(s) "
        f"({figures['errors']} failed), tokens {figures['input_tokens']} in / "
        f"{figures['output_tokens']} out, ${figures['cost_usd']:.4f}"
        f"{unpriced if figures['unpriced_models'] else ''}, "
        f"turn p50 {_ms(figures['p50_ms'])}, p95 {_ms(figures['p95_ms'])}"
    )


def tool_line(tool: str, figures: dict[str, Any]) -> str:
    return (
        f"{tool}: {figures['calls']} call(s), {figures['errors']} failed, "
        f"p50 {_ms(figures['p50_ms'])}, p95 {_ms(figures['p95_ms'])}"
    )


@dataclass(frozen=True)
class OpsbotUsage:
    usage: SelfUsage

    def run(self, args: UsageArgs, caller: Caller) -> ToolResult:
        days, tools = self.usage.read(utcnow() - parse_window(args.since))
        per_day = {d: b.to_dict() for d, b in days.items()}
        per_tool = {t: b.to_dict() for t, b in tools.items()}
        if not per_day:
            text = f"opsbot recorded no turn of its own in the last {args.since}."
        else:
            lines = [f"opsbot's own usage in the last {args.since}, per day (UTC):"]
            lines += [f"- {day_line(d, f)}" for d, f in per_day.items()]
            lines.append("Per tool:" if per_tool else "No tool calls.")
            lines += [f"- {tool_line(t, f)}" for t, f in per_tool.items()]
            text = "\n".join(lines)
        return ToolResult(text=text, data={"per_day": per_day, "per_tool": per_tool})

    def tool(self) -> OpsTool:
        return OpsTool(
            name="opsbot_usage",
            description="opsbot's own usage of its language model and tools: per day its "
            "turns, model calls, tokens, cost and turn latency p50/p95; per tool its calls, "
            "failures and latency.",
            args=UsageArgs,
            run=self.run,
        )
