"""The agent tools `prompt_metrics(prompt, since, version)` and `llm_usage(since)`: how the
LLM calls received over OTLP went, per prompt version, label and model, or per model and
service; `llm_regressions()`: the watched label moves and model changes, compared before and
after (tools/llmops/watch.py), and why one is not compared yet. All only read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from core.access import Caller
from core.clock import checked_window, parse_window, utcnow
from tools.base import NoArgs, OpsTool, ToolResult
from tools.llmops.metrics import LlmMetrics, Stats
from tools.llmops.watch import Check, RegressionWatch


class PromptMetricsArgs(BaseModel):
    prompt: str = Field(min_length=1, max_length=200, description="The prompt's name")
    since: Annotated[str, AfterValidator(checked_window)] = Field(
        "24h", description="How far back: 30m, 2h, 7d (at most 90d)"
    )
    version: int | None = Field(None, ge=1, description="Only this version of the prompt")


class LlmUsageArgs(BaseModel):
    since: Annotated[str, AfterValidator(checked_window)] = Field(
        "24h", description="How far back: 30m, 2h, 7d (at most 90d)"
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def stats_line(stats: Stats) -> str:
    """One group as a line: its key, then calls, errors, latency, tokens and cost."""
    key = ", ".join(f"{k} {'-' if v in (None, '') else v}" for k, v in stats.key.items())
    cost = f"${stats.cost:.4f}" + (" (+ unpriced)" if stats.unpriced else "")
    feedback = (
        f", feedback {stats.feedback_mean:.2f} ({stats.feedback_count} score(s))"
        if stats.feedback_count and stats.feedback_mean is not None
        else ""
    )
    return (
        f"{key}: {stats.calls} call(s), {stats.error_rate:.1%} errors, "
        f"p50 {_ms(stats.p50_ms)}, p95 {_ms(stats.p95_ms)}, "
        f"tokens {stats.input_tokens} in / {stats.output_tokens} out, {cost}{feedback}"
    )


@dataclass(frozen=True)
class PromptMetrics:
    metrics: LlmMetrics

    def run(self, args: PromptMetricsArgs, caller: Caller) -> ToolResult:
        since = utcnow() - parse_window(args.since)
        groups = self.metrics.prompt(args.prompt, since, args.version)
        scope = f"{args.prompt}" + (f" v{args.version}" if args.version else "")
        if not groups:
            text = f"No LLM call with the prompt {scope} in the last {args.since}."
        else:
            head = f"LLM calls with the prompt {scope} in the last {args.since}, per version:"
            text = "\n".join([head, *(f"- {stats_line(s)}" for s in groups)])
        return ToolResult(text=text, data={"prompt": args.prompt, "groups": _dicts(groups)})

    def tool(self) -> OpsTool:
        return OpsTool(
            name="prompt_metrics",
            description="How a prompt performs in the LLM apps that use it, from their traces: "
            "calls, error rate, latency p50/p95, tokens, cost and mean user feedback per "
            "version, label and model. "
            "Use it after a prompt change or when an LLM app degrades.",
            args=PromptMetricsArgs,
            run=self.run,
        )


@dataclass(frozen=True)
class LlmUsage:
    metrics: LlmMetrics

    def run(self, args: LlmUsageArgs, caller: Caller) -> ToolResult:
        since = utcnow() - parse_window(args.since)
        by_model = self.metrics.usage("model", since)
        by_service = self.metrics.usage("service", since)
        if not by_model:
            text = f"No LLM call received in the last {args.since}."
        else:
            text = "\n".join(
                [
                    f"LLM calls in the last {args.since}, by model:",
                    *(f"- {stats_line(s)}" for s in by_model),
                    "By service:",
                    *(f"- {stats_line(s)}" for s in by_service),
                ]
            )
        data = {"by_model": _dicts(by_model), "by_service": _dicts(by_service)}
        return ToolResult(text=text, data=data)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="llm_usage",
            description="LLM usage from the traces LLM apps send: calls, error rate, latency "
            "p50/p95, tokens and cost by model and by service over a window.",
            args=LlmUsageArgs,
            run=self.run,
        )


def check_lines(check: Check) -> list[str]:
    """A watched change as a line, then one line per figure compared."""
    c, move = check.comparison, check.move
    head = f"{move.describe()} at {move.at:%Y-%m-%d %H:%M} UTC: "
    if c.skipped:
        return [head + f"not compared, {c.skipped}"]
    worse = ", ".join(f.name for f in c.regressed)
    verdict = f"REGRESSED ({worse})" if worse else "no regression"
    head += f"{verdict}; {c.before_calls} calls before, {c.after_calls} after"
    return [head, *(f"  - {f.line()}" for f in c.figures)]


@dataclass(frozen=True)
class LlmRegressions:
    watch: RegressionWatch

    def run(self, args: NoArgs, caller: Caller) -> ToolResult:
        checks = self.watch.run()
        hours = self.watch.config.watch.total_seconds() / 3600
        if not checks:
            text = f"No prompt label move or model change in the last {hours:.0f} h to watch."
        else:
            head = f"Label moves and model changes of the last {hours:.0f} h, compared:"
            text = "\n".join([head, *(f"- {line}" for c in checks for line in check_lines(c))])
        return ToolResult(text=text, data={"changes": [c.to_dict() for c in checks]})

    def tool(self) -> OpsTool:
        return OpsTool(
            name="llm_regressions",
            description="Whether a recent prompt label move or model change made the LLM calls "
            "worse: error rate, latency, cost per call (and feedback) before and after, with "
            "p-values; says when there are too few calls to tell yet.",
            args=NoArgs,
            run=self.run,
        )


def _dicts(groups: list[Stats]) -> list[dict[str, object]]:
    return [s.to_dict() for s in groups]


def build_llmops_tools(
    metrics: LlmMetrics, charts: Path | None = None, regressions: RegressionWatch | None = None
) -> list[OpsTool]:
    """The tools; `prompt_chart` too when given the folder its PNGs are written to, and
    `llm_regressions` when given the regression watch."""
    from tools.llmops.chart import PromptChart
    from tools.llmops.usage import OpsbotUsage, SelfUsage

    own = OpsbotUsage(SelfUsage(metrics.engine, metrics.prices))
    built = [PromptMetrics(metrics).tool(), LlmUsage(metrics).tool(), own.tool()]
    if charts is not None:
        built.append(PromptChart(metrics.engine, charts).tool())
    if regressions is not None:
        built.append(LlmRegressions(regressions).tool())
    return built
