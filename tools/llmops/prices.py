"""What an LLM call costs: US dollars per million input and output tokens, by model.

The defaults are Anthropic's list prices for the current Claude models, from the model
overview pages of the Claude platform documentation (platform.claude.com/docs, models/
sonnet-5-5, sonnet-5, the comparison table there for Opus 5.5, Fable 5.1 and Haiku 4.5),
read on 2026-12-03. `LLM_PRICES` (JSON) adds models or overrides these. A model id is priced
by its longest priced prefix, so `claude-sonnet-5-5-20260929` is priced as `claude-sonnet-5-5`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import Invalid


@dataclass(frozen=True)
class Price:
    input: float  # dollars per million input tokens
    output: float  # dollars per million output tokens

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


DEFAULT_PRICES: dict[str, Price] = {
    "claude-fable-5-1": Price(10.0, 50.0),
    "claude-opus-5-5": Price(4.0, 20.0),
    "claude-opus-5": Price(5.0, 25.0),
    "claude-sonnet-5-5": Price(2.0, 10.0),
    "claude-sonnet-5": Price(2.0, 10.0),
    "claude-haiku-4-5": Price(1.0, 5.0),
}


def parse_prices(raw: Any) -> dict[str, Price]:
    """`{"model": {"input": 3, "output": 15}}` (per million tokens) as prices, or Invalid
    naming every entry that is wrong."""
    if not isinstance(raw, Mapping):
        raise Invalid('must be a JSON object {"model": {"input": N, "output": N}}')
    prices: dict[str, Price] = {}
    problems: list[str] = []
    for model, entry in raw.items():
        if not isinstance(entry, Mapping) or set(entry) != {"input", "output"}:
            problems.append(f"{model}: give exactly input and output (dollars per million tokens)")
            continue
        values = [entry["input"], entry["output"]]
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in values
        ):
            problems.append(f"{model}: input and output must be numbers >= 0")
            continue
        prices[str(model)] = Price(float(values[0]), float(values[1]))
    if problems:
        raise Invalid("; ".join(problems))
    return prices


@dataclass(frozen=True)
class PriceTable:
    prices: Mapping[str, Price]

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, Price]) -> PriceTable:
        return cls({**DEFAULT_PRICES, **overrides})

    def price(self, model: str) -> Price | None:
        """The price of the longest priced prefix of `model`, None when none is priced."""
        best = max((m for m in self.prices if model.startswith(m)), key=len, default=None)
        return self.prices[best] if best is not None else None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        price = self.price(model)
        return None if price is None else price.cost(input_tokens, output_tokens)
