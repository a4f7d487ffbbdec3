"""Scores of a run: pass rate per category and overall, p50/p95 latency per turn, tokens and
cost per case on Claude ("n/a" offline), and the floors (`evals/floors.yml`) it must meet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.evals.cases import EvalCaseError
from bot.evals.runner import CaseOutcome
from core.stats import nearest_rank

OVERALL = "overall"


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of `values` (0 when there are none)."""
    return nearest_rank(sorted(values), pct) if values else 0.0


@dataclass
class Report:
    outcomes: list[CaseOutcome]

    def rates(self) -> dict[str, tuple[int, int]]:
        """(passed, total) per category, and overall."""
        out: dict[str, tuple[int, int]] = {}
        for o in self.outcomes:
            passed, total = out.get(o.case.category, (0, 0))
            out[o.case.category] = (passed + o.passed, total + 1)
        out[OVERALL] = (sum(o.passed for o in self.outcomes), len(self.outcomes))
        return out

    def by_difficulty(self) -> dict[str, tuple[int, int]]:
        """(passed, total) per difficulty, easy first."""
        out: dict[str, tuple[int, int]] = {}
        for level in ("easy", "medium", "hard"):
            members = [o for o in self.outcomes if o.case.difficulty == level]
            if members:
                out[level] = (sum(o.passed for o in members), len(members))
        return out

    def rate(self, category: str) -> float:
        passed, total = self.rates().get(category, (0, 0))
        return passed / total if total else 0.0

    def latencies(self) -> list[float]:
        return [t.seconds for o in self.outcomes for t in o.turns]

    @property
    def on_claude(self) -> bool:
        return any(o.model is not None for o in self.outcomes)

    def to_json(self) -> dict[str, Any]:
        lat = self.latencies()
        return {
            "categories": {
                name: {"passed": p, "total": t, "rate": round(p / t, 4) if t else 0.0}
                for name, (p, t) in self.rates().items()
            },
            "difficulties": {
                name: {"passed": p, "total": t} for name, (p, t) in self.by_difficulty().items()
            },
            "latency_ms": {
                "p50": round(percentile(lat, 50) * 1000, 1),
                "p95": round(percentile(lat, 95) * 1000, 1),
            },
            "cases": [
                {
                    "id": o.case.id,
                    "category": o.case.category,
                    "difficulty": o.case.difficulty,
                    "passed": o.passed,
                    "failures": o.failures(),
                    "turn_ms": [round(t.seconds * 1000, 1) for t in o.turns],
                    "tokens": o.tokens,
                    "cost_usd": o.cost,
                }
                for o in self.outcomes
            ],
        }

    def text(self, verbose: bool = True) -> str:
        lines = []
        if verbose:
            for o in self.outcomes:
                if not o.passed:
                    lines.append(f"FAIL {o.case.id} ({o.case.category}, {o.case.difficulty})")
                    lines.extend(f"     {line}" for line in o.failures())
            if self.on_claude:
                lines.append("")
                lines.append("tokens and cost per case:")
                for o in self.outcomes:
                    tokens, price = o.tokens or {}, o.cost
                    lines.append(
                        f"  {o.case.id}: {tokens.get('input_tokens', 0)} in, "
                        f"{tokens.get('output_tokens', 0)} out, "
                        + (f"${price:.4f}" if price is not None else "cost n/a")
                    )
            lines.append("")
        lines.append(f"{'category':<16} {'passed':>7} {'rate':>7}")
        for name, (passed, total) in self.rates().items():
            rate = passed / total if total else 0.0
            lines.append(f"{name:<16} {f'{passed}/{total}':>7} {rate:>7.1%}")
        lines.append(
            "by difficulty: "
            + ", ".join(f"{name} {p}/{t}" for name, (p, t) in self.by_difficulty().items())
        )
        lat = self.latencies()
        lines.append(
            f"latency per turn: p50 {percentile(lat, 50) * 1000:.0f} ms, "
            f"p95 {percentile(lat, 95) * 1000:.0f} ms"
        )
        if self.on_claude:
            total_in = sum((o.tokens or {}).get("input_tokens", 0) for o in self.outcomes)
            total_out = sum((o.tokens or {}).get("output_tokens", 0) for o in self.outcomes)
            costs = [o.cost for o in self.outcomes if o.cost is not None]
            money = f"${sum(costs):.4f}" if costs else "n/a"
            lines.append(f"tokens: {total_in} in, {total_out} out; cost {money}")
        else:
            lines.append("tokens and cost: n/a (offline planner)")
        return "\n".join(lines)


def load_floors(path: Path) -> dict[str, float]:
    """Minimum pass rates (0..1) per category, and optionally `overall`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalCaseError(f"cannot read floors file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise EvalCaseError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, int | float) and 0 <= v <= 1 for v in data.values()
    ):
        raise EvalCaseError(f"{path.name}: expected category: minimum pass rate (0 to 1)")
    return {str(k): float(v) for k, v in data.items()}


def below_floors(report: Report, floors: dict[str, float]) -> list[str]:
    """One line per category whose pass rate is under its floor (only those that ran)."""
    rates = report.rates()
    return [
        f"{name}: {report.rate(name):.1%} is below the floor {floor:.1%}"
        for name, floor in floors.items()
        if name in rates and report.rate(name) + 1e-9 < floor
    ]
