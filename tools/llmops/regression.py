"""Did a prompt's calls get worse after a change? The statistics, in plain Python.

Two sides of calls (before the change, after it) are compared on four figures, each tested
one-sided (only "worse" counts):
- error rate: Fisher's exact test (the hypergeometric tail of the after side's errors);
- latency: the Mann-Whitney U test (normal approximation, tie and continuity corrected);
- cost per call: Mann-Whitney U on the priced calls' costs;
- feedback, when a source of scores is given: Mann-Whitney U, lower is worse.
A figure regresses when its p-value is below `alpha` AND the change is at least the minimum
effect: `min_error_increase` (absolute) for the error rate, `min_effect` (relative, on the
mean) for the others. Below `min_calls` on either side nothing is tested, and the reason says
so. The same formulas as scipy.stats.fisher_exact and mannwhitneyu(method="asymptotic"),
checked against them in tests/llmops/test_regression_stats.py; written out so the server's
monitor never imports scipy (see bot/monitors/drift.py for why).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from core.errors import Invalid

# (trace ids of one side's calls) -> the feedback scores given to those traces, higher better
Feedback = Callable[[Sequence[str]], Sequence[float]]


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_greater(errors_a: int, calls_a: int, errors_b: int, calls_b: int) -> float:
    """One-sided Fisher exact p-value that side a's error rate is greater than side b's: the
    probability of at least `errors_a` errors on side a, given both sides' sizes and the
    errors of both (scipy.stats.fisher_exact([[ea, ca-ea], [eb, cb-eb]], "greater"))."""
    if not (0 <= errors_a <= calls_a and 0 <= errors_b <= calls_b):
        raise Invalid("errors must be between 0 and the number of calls")
    total, errors = calls_a + calls_b, errors_a + errors_b
    high = min(errors, calls_a)
    if errors_a > high or total == 0:
        return 1.0
    low = max(0, calls_a - (total - errors))
    if errors_a <= low:
        return 1.0
    denominator = _log_comb(total, calls_a)
    terms = [
        _log_comb(errors, k) + _log_comb(total - errors, calls_a - k) - denominator
        for k in range(errors_a, high + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in terms))


def _ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Average ranks (1-based) of `values` and the sizes of their groups of ties."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties: list[int] = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(U of x, one-sided p-value that x tends to be greater than y), by the normal
    approximation with the tie and continuity corrections
    (scipy.stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic"))."""
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise Invalid("both samples need at least one value")
    ranks, ties = _ranks([*x, *y])
    u1 = math.fsum(ranks[:n1]) - n1 * (n1 + 1) / 2
    n = n1 + n2
    tie_term = sum(t**3 - t for t in ties)
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:  # every value equal: no evidence either way
        return u1, 1.0
    z = (u1 - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return u1, 0.5 * math.erfc(z / math.sqrt(2))


@dataclass(frozen=True)
class RegressionConfig:
    """When a change counts as a regression (settings: bot/settings_llmreg.py)."""

    min_calls: int = 30  # on each side; fewer and nothing is tested
    alpha: float = 0.01  # significance level of each one-sided test
    min_effect: float = 0.2  # relative worsening of mean latency, cost per call, feedback
    min_error_increase: float = 0.05  # absolute rise of the error rate (0.05 = 5 points)
    window: timedelta = timedelta(minutes=60)  # baseline before the change; recent calls after
    watch: timedelta = timedelta(hours=24)  # a change older than this is no longer watched

    def __post_init__(self) -> None:
        problems = []
        if self.min_calls < 2:
            problems.append(f"min_calls must be at least 2 (got {self.min_calls})")
        if not 0 < self.alpha < 1:
            problems.append(f"alpha must be between 0 and 1, exclusive (got {self.alpha})")
        if not 0 <= self.min_effect <= 10:
            problems.append(f"min_effect must be from 0 to 10 (got {self.min_effect})")
        if not 0 <= self.min_error_increase <= 1:
            problems.append(
                f"min_error_increase must be from 0 to 1 (got {self.min_error_increase})"
            )
        if self.window <= timedelta(0) or self.watch < self.window:
            problems.append("window must be positive and watch at least as long as window")
        if problems:
            raise Invalid("; ".join(problems))


@dataclass(frozen=True)
class Side:
    """The calls on one side of a change."""

    durations_ms: list[float] = field(default_factory=list)  # one per call
    errors: int = 0
    costs: list[float] = field(default_factory=list)  # of the calls whose model is priced
    trace_ids: list[str] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.durations_ms)

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class Figure:
    """One figure compared: before and after, the test's p-value, whether it regressed."""

    name: str  # error_rate | latency_ms | cost_per_call | feedback
    before: float
    after: float
    p_value: float | None  # None: not tested (too few values), with `note` saying why
    regressed: bool
    note: str = ""
    extra: dict[str, float | None] = field(default_factory=dict)  # e.g. p95 before/after

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before": round(self.before, 6),
            "after": round(self.after, 6),
            "p_value": None if self.p_value is None else float(f"{self.p_value:.4g}"),
            "regressed": self.regressed,
            "note": self.note,
        } | {k: v if v is None else round(v, 3) for k, v in self.extra.items()}

    def line(self) -> str:
        def shown(v: float) -> str:
            if self.name == "error_rate":
                return f"{v:.1%}"
            if self.name == "latency_ms":
                return f"{v:.0f} ms"
            if self.name == "cost_per_call":
                return f"${v:.5f}"
            return f"{v:.2f}"

        label = {
            "error_rate": "error rate",
            "latency_ms": "mean latency",
            "cost_per_call": "cost per call",
            "feedback": "mean feedback",
        }[self.name]
        text = f"{label} {shown(self.before)} → {shown(self.after)}"
        if "p95_before" in self.extra and self.extra["p95_before"] is not None:
            text += f" (p95 {self.extra['p95_before']:.0f} → {self.extra['p95_after']:.0f} ms)"
        if self.p_value is not None:
            text += f", p={self.p_value:.2g}"
        if self.note:
            text += f" ({self.note})"
        return text + (" — REGRESSED" if self.regressed else "")


@dataclass(frozen=True)
class Comparison:
    """The figures of one change, or why they were not tested (`skipped`)."""

    before_calls: int
    after_calls: int
    figures: list[Figure] = field(default_factory=list)
    skipped: str | None = None

    @property
    def regressed(self) -> list[Figure]:
        return [f for f in self.figures if f.regressed]


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def _p95(values: Sequence[float]) -> float | None:
    from core.stats import nearest_rank

    return nearest_rank(sorted(values), 95) if values else None


def _rank_figure(
    name: str,
    before: Sequence[float],
    after: Sequence[float],
    config: RegressionConfig,
    lower_is_worse: bool = False,
) -> Figure:
    """A figure tested by Mann-Whitney U; worse is higher (lower for feedback)."""
    mean_before, mean_after = _mean(before), _mean(after)
    if len(before) < config.min_calls or len(after) < config.min_calls:
        note = f"{len(before)} value(s) before and {len(after)} after; needs {config.min_calls}"
        return Figure(name, mean_before, mean_after, None, False, note)
    if lower_is_worse:
        _, p = mann_whitney_greater(before, after)
        worsening = mean_before - mean_after
    else:
        _, p = mann_whitney_greater(after, before)
        worsening = mean_after - mean_before
    big_enough = worsening > 0 and worsening >= config.min_effect * abs(mean_before)
    return Figure(name, mean_before, mean_after, p, p < config.alpha and big_enough)


def compare(
    before: Side, after: Side, config: RegressionConfig, feedback: Feedback | None = None
) -> Comparison:
    """Test whether `after` is worse than `before` on each figure."""
    counts = (before.calls, after.calls)
    if min(counts) < config.min_calls:
        return Comparison(
            *counts,
            skipped=f"too few calls to compare: {before.calls} before the change and "
            f"{after.calls} after it; at least {config.min_calls} are needed on each side "
            "(LLM_REGRESSION_MIN_CALLS)",
        )
    p_errors = fisher_greater(after.errors, after.calls, before.errors, before.calls)
    rise = after.error_rate - before.error_rate
    figures = [
        Figure(
            "error_rate",
            before.error_rate,
            after.error_rate,
            p_errors,
            p_errors < config.alpha and rise >= config.min_error_increase and rise > 0,
        )
    ]
    latency = _rank_figure("latency_ms", before.durations_ms, after.durations_ms, config)
    extra = {"p95_before": _p95(before.durations_ms), "p95_after": _p95(after.durations_ms)}
    figures.append(replace(latency, extra=extra))
    figures.append(_rank_figure("cost_per_call", before.costs, after.costs, config))
    if feedback is not None:
        scores = (list(feedback(before.trace_ids)), list(feedback(after.trace_ids)))
        figures.append(_rank_figure("feedback", *scores, config, lower_is_worse=True))
    return Comparison(*counts, figures=figures)
