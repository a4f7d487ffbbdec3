"""A small price table for Claude models (US dollars per million tokens, input/output), to
put a cost on each evaluated case. Unknown models cost "n/a"."""

from __future__ import annotations

PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-haiku-4": (1.0, 5.0),
}
# a model not in the table is priced by its family (list prices of the latest generation)
FAMILIES: dict[str, tuple[float, float]] = {
    "opus": (15.0, 75.0),
    "sonnet": (3.0, 15.0),
    "haiku": (1.0, 5.0),
}


def price_for(model: str) -> tuple[float, float] | None:
    """The (input, output) price of `model`: the longest table entry it starts with."""
    matches = [key for key in PRICES if model.startswith(key)]
    if matches:
        return PRICES[max(matches, key=len)]
    return next((price for family, price in FAMILIES.items() if family in model), None)


def cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    price = price_for(model)
    if price is None:
        return None
    return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000
