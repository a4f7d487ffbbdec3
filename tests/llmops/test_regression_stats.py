"""The regression statistics (tools/llmops/regression.py) give scipy's p-values, refuse to
test below the minimum sample, need both significance and the minimum effect, and refuse bad
settings with the reason."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from scipy import stats

from bot.settings import SettingsError, load_settings
from core.errors import Invalid
from tools.llmops.regression import (
    RegressionConfig,
    Side,
    compare,
    fisher_greater,
    mann_whitney_greater,
)


@pytest.mark.parametrize(
    ("errors_a", "calls_a", "errors_b", "calls_b"),
    [(8, 40, 1, 40), (0, 30, 0, 30), (30, 30, 0, 30), (1, 200, 5, 200), (3, 1000, 2, 5000),
     (45, 100, 2, 100), (0, 5, 5, 5), (17, 17, 17, 17)],
)  # fmt: skip
def test_fisher_matches_scipy(errors_a: int, calls_a: int, errors_b: int, calls_b: int) -> None:
    table = [[errors_a, calls_a - errors_a], [errors_b, calls_b - errors_b]]
    expected = stats.fisher_exact(table, alternative="greater").pvalue
    assert fisher_greater(errors_a, calls_a, errors_b, calls_b) == pytest.approx(
        expected, rel=1e-9, abs=1e-15
    )


def test_fisher_matches_scipy_on_random_tables() -> None:
    rng = random.Random(17)
    for _ in range(300):
        ca, cb = rng.randint(1, 120), rng.randint(1, 120)
        ea, eb = rng.randint(0, ca), rng.randint(0, cb)
        expected = stats.fisher_exact([[ea, ca - ea], [eb, cb - eb]], "greater").pvalue
        assert fisher_greater(ea, ca, eb, cb) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_fisher_refuses_more_errors_than_calls() -> None:
    with pytest.raises(Invalid, match="between 0 and the number of calls"):
        fisher_greater(5, 4, 0, 10)


def test_mann_whitney_matches_scipy_with_and_without_ties() -> None:
    rng = random.Random(5)
    for _ in range(200):
        x = [rng.choice([100.0, 200.0, rng.uniform(50, 900)]) for _ in range(rng.randint(2, 80))]
        y = [rng.choice([100.0, rng.uniform(40, 700)]) for _ in range(rng.randint(2, 80))]
        u, p = mann_whitney_greater(x, y)
        ref = stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic")
        assert u == pytest.approx(ref.statistic, abs=1e-9)
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-15)


def test_mann_whitney_of_identical_values_shows_nothing() -> None:
    assert mann_whitney_greater([5.0] * 10, [5.0] * 10)[1] == 1.0
    with pytest.raises(Invalid):
        mann_whitney_greater([], [1.0])


def _side(n: int, errors: int, latency: float, cost: float = 0.001, spread: float = 20) -> Side:
    rng = random.Random(n * 31 + errors)
    durations = [latency + rng.uniform(-spread, spread) for _ in range(n)]
    return Side(durations, errors, [cost] * n, [f"{i:032x}" for i in range(n)])


def test_more_errors_after_is_a_regression_with_its_p_value() -> None:
    config = RegressionConfig(min_calls=30, alpha=0.01)
    result = compare(_side(40, 1, 300), _side(40, 20, 300), config)
    assert result.skipped is None
    [worse] = result.regressed
    assert worse.name == "error_rate" and (worse.before, worse.after) == (0.025, 0.5)
    expected = stats.fisher_exact([[20, 20], [1, 39]], alternative="greater").pvalue
    assert worse.p_value == pytest.approx(expected)
    assert "error rate 2.5% → 50.0%, p=" in worse.line()


def test_slower_and_dearer_calls_regress_latency_and_cost() -> None:
    config = RegressionConfig(min_calls=30)
    result = compare(_side(50, 0, 300), _side(50, 0, 900, cost=0.003), config)
    assert {f.name for f in result.regressed} == {"latency_ms", "cost_per_call"}
    latency = next(f for f in result.figures if f.name == "latency_ms")
    assert latency.extra["p95_after"] is not None and latency.extra["p95_after"] > 850


def test_a_significant_but_small_change_is_not_a_regression() -> None:
    """10 000 calls a side make a 2% slower mean significant; the minimum effect is 20%."""
    before, after = _side(10_000, 0, 1000, spread=5), _side(10_000, 0, 1020, spread=5)
    result = compare(before, after, RegressionConfig(min_calls=30, min_effect=0.2))
    latency = next(f for f in result.figures if f.name == "latency_ms")
    assert latency.p_value is not None and latency.p_value < 1e-10
    assert not latency.regressed and result.regressed == []
    lenient = compare(before, after, RegressionConfig(min_calls=30, min_effect=0.01))
    assert [f.name for f in lenient.regressed] == ["latency_ms"]


def test_better_calls_after_are_no_regression() -> None:
    result = compare(_side(40, 20, 900), _side(40, 0, 300), RegressionConfig(min_calls=30))
    assert result.regressed == [] and all(f.p_value is not None for f in result.figures)


def test_below_the_minimum_sample_nothing_is_tested_and_the_reason_says_so() -> None:
    result = compare(_side(40, 0, 300), _side(12, 12, 5000), RegressionConfig(min_calls=30))
    assert result.figures == [] and result.regressed == []
    assert result.skipped is not None
    assert "12 after it; at least 30 are needed on each side" in result.skipped
    nothing_after = compare(_side(40, 0, 300), Side(), RegressionConfig(min_calls=30))
    assert nothing_after.after_calls == 0 and "0 after it" in str(nothing_after.skipped)


def test_feedback_from_an_optional_source_is_compared_lower_is_worse() -> None:
    before = _side(40, 0, 300)
    after = Side(before.durations_ms, 0, before.costs, [f"after-{i}" for i in range(40)])
    given = {t: 1.0 for t in before.trace_ids}  # 👍 = 1, 👎 = 0
    given |= {t: 1.0 if i % 4 == 0 else 0.0 for i, t in enumerate(after.trace_ids)}

    def scores(trace_ids: list[str]) -> list[float]:
        return [given[t] for t in trace_ids if t in given]

    result = compare(before, after, RegressionConfig(min_calls=30), feedback=scores)
    feedback = next(f for f in result.figures if f.name == "feedback")
    assert (feedback.before, feedback.after) == (1.0, 0.25) and feedback.regressed
    ref = stats.mannwhitneyu(
        [1.0] * 40, [given[t] for t in after.trace_ids], alternative="greater",
        method="asymptotic",
    )  # fmt: skip
    assert feedback.p_value == pytest.approx(ref.pvalue)
    few = compare(before, after, RegressionConfig(min_calls=30), feedback=lambda ids: [1.0])
    assert "needs 30" in next(f.note for f in few.figures if f.name == "feedback")
    assert not next(f for f in few.figures if f.name == "feedback").regressed


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"min_calls": 1}, "min_calls must be at least 2"),
        ({"alpha": 0.0}, "alpha must be between 0 and 1"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
        ({"min_effect": -0.1}, "min_effect must be from 0 to 10"),
        ({"min_error_increase": 2.0}, "min_error_increase must be from 0 to 1"),
        ({"window": timedelta(hours=2), "watch": timedelta(hours=1)}, "watch at least as long"),
    ],
)
def test_bad_config_is_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        RegressionConfig(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"llm_regression_min_calls": "1"}, "LLM_REGRESSION_MIN_CALLS"),
        ({"llm_regression_alpha": "0"}, "LLM_REGRESSION_ALPHA"),
        ({"llm_regression_alpha": "often"}, "LLM_REGRESSION_ALPHA"),
        ({"llm_regression_min_effect": "-1"}, "LLM_REGRESSION_MIN_EFFECT"),
        ({"llm_regression_min_error_increase": "5"}, "LLM_REGRESSION_MIN_ERROR_INCREASE"),
        ({"llm_regression_window_minutes": "0"}, "LLM_REGRESSION_WINDOW_MINUTES"),
        (
            {"llm_regression_window_minutes": "600", "llm_regression_watch_hours": "2"},
            "LLM_REGRESSION_WATCH_HOURS must be at least LLM_REGRESSION_WINDOW_MINUTES",
        ),
    ],
)
def test_bad_settings_stop_the_start_naming_the_variable(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(**values)


def test_the_settings_become_the_monitors_config() -> None:
    settings = load_settings(
        llm_regression_min_calls="50", llm_regression_alpha="0.05",
        llm_regression_window_minutes="30", llm_regression_watch_hours="6",
    )  # fmt: skip
    config = settings.llm_regression_config()
    assert (config.min_calls, config.alpha) == (50, 0.05)
    assert (config.window, config.watch) == (timedelta(minutes=30), timedelta(hours=6))
