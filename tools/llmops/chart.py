"""A PNG of one prompt over time, one line per version: calls, error rate and latency p95 per
time bucket. The agent tool `prompt_chart` (the file is attached to the answer in Slack) and
`opsbot llm chart PROMPT --out FILE`.

The calls of the window are read in one query and bucketed here (at most `MAX_BUCKETS`
buckets; the window is at most 90 days and the store is bounded). matplotlib is imported
only when a chart is drawn (Figure + Agg canvas, no pyplot), as in tools/anomaly/plot.py.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.access import Caller
from core.clock import as_utc, checked_window, parse_window, utcnow
from tools.base import OpsTool, ToolResult
from tools.llmops.metrics import percentile
from tools.llmops.scores import NOT_LLM_CALLS
from tools.llmops.tables import LlmSpanRow

MAX_BUCKETS = 48


@dataclass
class Point:
    start: datetime
    calls: int
    error_rate: float
    p95_ms: float | None


def timeline(
    engine: Engine, prompt: str, since: datetime, now: datetime
) -> dict[int | None, list[Point]]:
    """Per version, the figures of each bucket that had calls."""
    step = max((now - since) / MAX_BUCKETS, timedelta(minutes=1))
    span = LlmSpanRow
    query = select(
        col(span.start), col(span.prompt_version), col(span.error), col(span.duration_ms)
    ).where(
        col(span.prompt_name) == prompt,
        col(span.start) >= since,
        col(span.operation).not_in(NOT_LLM_CALLS),
    )
    cells: dict[tuple[int | None, int], list[tuple[bool, float]]] = defaultdict(list)
    with engine.connect() as conn:
        for start, version, error, ms in conn.execute(query):
            index = int((as_utc(start) - since) / step)
            cells[(version, index)].append((bool(error), float(ms)))
    lines: dict[int | None, list[Point]] = defaultdict(list)
    for (version, index), calls in sorted(cells.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        errors = sum(1 for failed, _ in calls if failed)
        durations = sorted(ms for _, ms in calls)
        lines[version].append(
            Point(
                since + step * index, len(calls), errors / len(calls), percentile(durations, 0.95)
            )
        )
    return dict(lines)


def plot_prompt(prompt: str, lines: dict[int | None, list[Point]], path: Path) -> Path:
    """Three panels sharing the time axis: calls, error rate, latency p95; a line per version."""
    from matplotlib.dates import AutoDateFormatter, AutoDateLocator, date2num
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 6.4), dpi=100)
    calls_ax, errors_ax, latency_ax = fig.subplots(3, 1, sharex=True)
    for version, points in sorted(lines.items(), key=lambda kv: str(kv[0])):
        name = f"v{version}" if version is not None else "no version"
        times = date2num([p.start for p in points])
        calls_ax.plot(times, [p.calls for p in points], marker=".", label=name)
        errors_ax.plot(times, [100 * p.error_rate for p in points], marker=".", label=name)
        latency = [
            (t, p.p95_ms) for t, p in zip(times, points, strict=True) if p.p95_ms is not None
        ]
        latency_ax.plot([t for t, _ in latency], [v for _, v in latency], marker=".", label=name)
    calls_ax.set_ylabel("calls")
    errors_ax.set_ylabel("errors (%)")
    latency_ax.set_ylabel("p95 (ms)")
    locator = AutoDateLocator()
    latency_ax.xaxis.set_major_locator(locator)
    latency_ax.xaxis.set_major_formatter(AutoDateFormatter(locator))
    calls_ax.set_title(f"{prompt}: calls, error rate and latency by version", fontsize=10)
    calls_ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


class PromptChartArgs(BaseModel):
    prompt: str = Field(min_length=1, max_length=200, description="The prompt's name")
    since: Annotated[str, AfterValidator(checked_window)] = Field(
        "24h", description="How far back: 30m, 2h, 7d (at most 90d)"
    )


@dataclass(frozen=True)
class PromptChart:
    engine: Engine
    folder: Path  # where the PNGs are written, to be attached

    def run(self, args: PromptChartArgs, caller: Caller) -> ToolResult:
        now = utcnow()
        lines = timeline(self.engine, args.prompt, now - parse_window(args.since), now)
        if not lines:
            text = f"No LLM call with the prompt {args.prompt} in the last {args.since}: no chart."
            return ToolResult(text=text, data={"prompt": args.prompt, "versions": []})
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in args.prompt)[:60]
        path = plot_prompt(args.prompt, lines, self.folder / f"{safe}-{secrets.token_hex(4)}.png")
        versions = sorted(v for v in lines if v is not None)
        text = (
            f"Chart of {args.prompt} over the last {args.since}: calls, error rate and latency "
            f"p95 for version(s) {', '.join(f'v{v}' for v in versions) or '(none)'}, "
            f"attached as {path.name}."
        )
        data = {"prompt": args.prompt, "versions": versions, "file": str(path)}
        return ToolResult(text=text, data=data, files=[path])

    def tool(self) -> OpsTool:
        return OpsTool(
            name="prompt_chart",
            description="A PNG chart of one prompt over time, a line per version: calls, "
            "error rate and latency p95, from the traces of the apps that use it. Use it to "
            "show a prompt change's effect.",
            args=PromptChartArgs,
            run=self.run,
        )
