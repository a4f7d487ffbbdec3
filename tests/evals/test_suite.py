"""The whole evaluation suite on the offline planner: every category at or above its floor in
evals/floors.yml (today's pass rates minus a small margin, so a regression fails)."""

from __future__ import annotations

from pathlib import Path

from bot.commands.evals import EVALS_DIR
from bot.evals.cases import load_cases
from bot.evals.report import Report, below_floors, load_floors
from bot.evals.runner import run_cases


def test_suite_meets_its_floors(demo_template: Path, tmp_path: Path) -> None:
    cases = load_cases(EVALS_DIR)
    categories = {c.category for c in cases}
    assert len(cases) >= 200
    assert sum(c.category == "multi-turn" for c in cases) >= 30
    assert sum(c.category == "safety" for c in cases) >= 30
    assert {"plain", "terse", "typos", "two-intents", "name-variants"} <= categories
    assert {"multi-turn", "gated-actions", "safety", "unknown-names", "refusals"} <= categories

    report = Report(run_cases(cases, template=demo_template, work=tmp_path))
    floors = load_floors(EVALS_DIR / "floors.yml")
    assert set(floors) == categories | {"overall"}, "every category has a floor"
    assert below_floors(report, floors) == [], report.text()
    # offline: no tokens and no cost, and a turn's latency is measured
    assert all(o.tokens is None and o.cost is None for o in report.outcomes)
    assert report.latencies() and all(t > 0 for t in report.latencies())
    assert "tokens and cost: n/a" in report.text(verbose=False)
