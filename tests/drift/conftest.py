"""Shared data for the drift tests: synthetic frames that hit every branch of the rule."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tools.registry.demo import BIKE_CURRENT, BIKE_FEATURES, BIKE_REFERENCE

__all__ = ["BIKE_CURRENT", "BIKE_FEATURES", "BIKE_REFERENCE", "synthetic_columns"]


def synthetic_columns(n: int, seed: int, current: bool) -> dict[str, np.ndarray]:
    """One side of a synthetic data set.

    Shifts are drawn per seed from small to large, so some columns drift and some do not;
    the column set covers: many-valued floats (with NaN and ±inf), integers with 10 and 31
    values (both sides of the 20-unique binning cut), 3-valued numbers, binary numbers, a
    constant, text categories (with a category unseen in the reference and one gone from
    the current), binary text, booleans and text with missing values.
    """
    rng = np.random.default_rng(seed * 2 + int(current))
    plan = np.random.default_rng(10_000 + seed)  # same shifts for both sides of one seed
    shift = plan.choice([0.0, 0.03, 0.08, 0.15, 0.4], size=8)
    s = shift if current else np.zeros_like(shift)
    many = rng.normal(s[0], 1.0, n)
    gappy = rng.lognormal(s[1], 0.5, n)
    gappy[rng.random(n) < 0.05] = np.nan
    gappy[rng.random(n) < 0.003] = np.inf
    int10 = np.clip(np.round(rng.normal(4.5 + 3 * s[2], 2.0, n)), 0, 9)
    int31 = rng.integers(0, 31 if not current else 31 + int(10 * s[3]), n)
    few = rng.choice([1.0, 2.0, 3.0], n, p=_probs(3, s[4]))
    binary = (rng.random(n) < 0.3 + s[5] / 4).astype(np.int64)
    cats = np.array(["alpha", "beta", "gamma", "delta", "eps", "zeta"])
    cat_p = _probs(6, s[6])
    cat = cats[rng.choice(6, n, p=cat_p)].astype(object)
    if current and s[6] > 0:
        cat[rng.random(n) < 0.02] = "new-kind"
    if not current:
        cat[rng.random(n) < 0.01] = "retired"
    yes_no = np.where(rng.random(n) < 0.5 + s[7] / 3, "yes", "no").astype(object)
    flag = rng.random(n) < 0.2 + s[7] / 5
    sparse_cat = cats[rng.choice(6, n, p=_probs(6, s[6] / 2))].astype(object)
    sparse_cat[rng.random(n) < 0.1] = None
    return {
        "num_many": many,
        "num_gappy": gappy,
        "num_int10": int10,
        "num_int31": int31.astype(np.float64),
        "num_few": few,
        "num_binary": binary,
        "num_const": np.full(n, 7.0),
        "cat_text": cat,
        "cat_yes_no": yes_no,
        "cat_flag": flag,
        "cat_sparse": sparse_cat,
    }


def _probs(k: int, tilt: float) -> np.ndarray:
    weights = np.exp(np.linspace(0, 1, k) * tilt * 4) * np.linspace(1, 2, k)
    return weights / weights.sum()


@pytest.fixture(scope="session")
def synth() -> Callable[[int, int, bool], dict[str, np.ndarray]]:
    return synthetic_columns
