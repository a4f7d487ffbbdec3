"""Per-column drift tests, reproducing Evidently 0.7's implementations exactly.

Each function mirrors a file in `evidently/legacy/calculations/stattests/` (read in the
installed 0.7.23 source): the same scipy call on the same numbers, so statistics agree
with Evidently's to floating-point rounding and decisions are identical. What differs is
only how the numbers are prepared: a column is cleaned and sorted once (`NumSample`) or
counted once per category (`CatSample`), and every test reads from that, which is why the
engine is many times faster than Evidently on wide tables. The names, thresholds and
directions of the tests are in `catalogue` (no numpy), so listing or validating them never
loads this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np

from tools.registry.drift.catalogue import (
    BINARY_MAX,
    CAT,
    CATALOGUE,
    DISTANCE,
    FEW_UNIQUE_MAX,
    NUM,
    P_VALUE,
    SMALL_REFERENCE_MAX_ROWS,
    StatTestInfo,
    default_test_name,
    tests_for,
    type_word,
)
from tools.registry.drift.errors import DriftError

__all__ = [
    "BINARY_MAX",
    "CAT",
    "DISTANCE",
    "FEW_UNIQUE_MAX",
    "NUM",
    "P_VALUE",
    "SMALL_REFERENCE_MAX_ROWS",
    "STAT_TESTS",
    "CatSample",
    "NumSample",
    "Sample",
    "StatTest",
    "default_test_name",
    "get_test",
    "sorted_histogram",
    "tests_for",
    "type_word",
]

# `get_binned_data`: numerical columns with more unique reference values are binned.
BINNING_MIN_UNIQUE = 20


def _sorted(values: np.ndarray, owned: bool) -> np.ndarray:
    if owned:
        values.sort()
        return values
    return np.sort(values)


class NumSample:
    """A numerical column's cleaned (finite) reference and current values, sorted once."""

    column_type = NUM

    def __init__(
        self, ref: np.ndarray, cur: np.ndarray, integer: bool = False, owned: bool = False
    ) -> None:
        # owned=True: the arrays are private copies and may be sorted in place.
        self.ref = _sorted(ref, owned)
        self.cur = _sorted(cur, owned)
        # True when pandas would hold both sides as int64; numpy's automatic bin edges
        # differ for integer arrays (bin width at least 1), so binning must know.
        self.integer = integer

    def for_binning(self, values: np.ndarray) -> np.ndarray:
        """Values in the dtype Evidently would pass to `np.histogram_bin_edges`."""
        return values.astype(np.int64) if self.integer else values

    @cached_property
    def _merged(self) -> tuple[np.ndarray, np.ndarray]:
        both = np.concatenate((self.ref, self.cur))
        # Stable sort of two sorted runs: fast, and ties keep reference values first.
        order = np.argsort(both, kind="stable")
        return both[order], order < len(self.ref)

    @property
    def merged(self) -> np.ndarray:
        return self._merged[0]

    @cached_property
    def n_unique(self) -> int:
        merged = self.merged
        return int(np.count_nonzero(np.diff(merged))) + 1 if len(merged) else 0

    @cached_property
    def ref_n_unique(self) -> int:
        return int(np.count_nonzero(np.diff(self.ref))) + 1 if len(self.ref) else 0

    @cached_property
    def value_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distinct values of both samples, reference counts, current counts)."""
        merged = self.merged
        keep = np.ones(len(merged), dtype=bool)
        keep[1:] = np.diff(merged) != 0
        values = merged[keep]
        ref_counts = np.searchsorted(self.ref, values, "right") - np.searchsorted(
            self.ref, values, "left"
        )
        cur_counts = np.searchsorted(self.cur, values, "right") - np.searchsorted(
            self.cur, values, "left"
        )
        return values, ref_counts, cur_counts


class CatSample:
    """A categorical column as counts per category over the union of both samples."""

    column_type = CAT

    def __init__(
        self, categories: Sequence[object], ref_counts: np.ndarray, cur_counts: np.ndarray
    ):
        keep = (ref_counts + cur_counts) > 0
        self.categories = [c for c, k in zip(categories, keep.tolist(), strict=True) if k]
        self.ref_counts = np.asarray(ref_counts[keep], dtype=np.int64)
        self.cur_counts = np.asarray(cur_counts[keep], dtype=np.int64)

    @property
    def n_ref(self) -> int:
        return int(self.ref_counts.sum())

    @property
    def n_cur(self) -> int:
        return int(self.cur_counts.sum())

    @property
    def n_unique(self) -> int:
        return len(self.categories)


Sample = NumSample | CatSample


def _counts(sample: Sample) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(sample, CatSample):
        return sample.ref_counts, sample.cur_counts
    _, ref_counts, cur_counts = sample.value_counts
    return ref_counts, cur_counts


def _sorted_first_index(sample: Sample) -> int:
    """Index of the smallest key, as Evidently's z-test sorts the keys and takes keys[0]."""
    if isinstance(sample, NumSample):
        return 0  # value_counts are in ascending order
    try:
        keys: list[Any] = sample.categories  # compared as they are; TypeError if not comparable
        return min(range(len(keys)), key=keys.__getitem__)
    except TypeError:
        return 0


# ---------------------------------------------------------------------------------------
# the tests


def ks_p_value(sample: Sample) -> float:
    """Two-sample Kolmogorov-Smirnov, two-sided p-value (`ks_2samp`)."""
    from scipy import stats

    assert isinstance(sample, NumSample)
    return float(stats.ks_2samp(sample.ref, sample.cur)[1])


def chisquare_p_value(sample: Sample) -> float:
    """Chi-square goodness of fit of current counts against reference shares."""
    from scipy import stats

    ref_counts, cur_counts = _counts(sample)
    n_ref, n_cur = int(ref_counts.sum()), int(cur_counts.sum())
    k_norm = n_cur / n_ref
    f_exp = ref_counts * k_norm
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(stats.chisquare(cur_counts, f_exp)[1])


def z_p_value(sample: Sample) -> float:
    """Two-proportion z-test, two-sided (Evidently's `proportions_diff_z_test`)."""
    from scipy import stats

    ref_counts, cur_counts = _counts(sample)
    ref_present = np.flatnonzero(ref_counts)
    cur_present = np.flatnonzero(cur_counts)
    if len(ref_present) == 1 and len(cur_present) == 1 and ref_present[0] == cur_present[0]:
        return 1.0
    key = _sorted_first_index(sample)
    n1, n2 = int(ref_counts.sum()), int(cur_counts.sum())
    p1 = float(n1 - int(ref_counts[key])) / n1
    p2 = float(n2 - int(cur_counts[key])) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - stats.norm.cdf(np.abs(z))))


def wasserstein_normed(sample: Sample) -> float:
    """First Wasserstein distance divided by max(std(reference), 0.001).

    Same arithmetic as `scipy.stats.wasserstein_distance` (CDF difference times the gap
    between successive pooled values), computed from the already sorted samples.
    """
    assert isinstance(sample, NumSample)
    merged, is_ref = sample._merged
    n_u, n_v = len(sample.ref), len(sample.cur)
    deltas = np.diff(merged)
    # |U - V| at each pooled value, with U = u_count/n_u and V = (k - u_count)/n_v, built
    # in place: fewer large temporaries matter more than the arithmetic at 100k rows.
    gap = np.cumsum(is_ref[:-1], dtype=np.float64)
    gap *= 1.0 / n_u + 1.0 / n_v
    gap -= np.arange(1, len(merged), dtype=np.float64) / n_v
    np.abs(gap, out=gap)
    distance_value = float(np.dot(gap, deltas))
    norm = max(float(np.std(sample.ref)), 0.001)
    return distance_value / norm


def sorted_histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """`np.histogram(values, edges)[0]` for sorted values, by bisection instead of a pass
    over every value: bins are [a, b) except the last, [a, b], exactly as numpy counts."""
    positions = np.searchsorted(values, edges, side="left")
    positions[-1] = np.searchsorted(values, edges[-1], side="right")
    return np.diff(positions)


def binned_shares(sample: Sample, fill_zeroes: bool) -> tuple[np.ndarray, np.ndarray]:
    """Evidently's `get_binned_data`: Sturges bins for numerical columns with more than 20
    unique reference values, else the share of each value; optionally replace zero shares.
    """
    if isinstance(sample, NumSample) and sample.ref_n_unique > BINNING_MIN_UNIQUE:
        # The pooled sorted values have the min, max and size of Evidently's concatenation.
        bins = np.histogram_bin_edges(sample.for_binning(sample.merged), bins="sturges")
        ref_pct = sorted_histogram(sample.ref, bins) / len(sample.ref)
        cur_pct = sorted_histogram(sample.cur, bins) / len(sample.cur)
    else:
        ref_counts, cur_counts = _counts(sample)
        ref_pct = ref_counts / ref_counts.sum()
        cur_pct = cur_counts / cur_counts.sum()
    if fill_zeroes:
        ref_pct = _fill_zeroes(ref_pct)
        cur_pct = _fill_zeroes(cur_pct)
    return ref_pct, cur_pct


def _fill_zeroes(pct: np.ndarray) -> np.ndarray:
    pct = np.asarray(pct, dtype=np.float64).copy()
    smallest = pct[pct != 0].min()
    pct[pct == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return pct


def jensenshannon_distance(sample: Sample) -> float:
    """Jensen-Shannon distance (natural log), no zero filling."""
    from scipy.spatial import distance

    ref_pct, cur_pct = binned_shares(sample, fill_zeroes=False)
    return float(distance.jensenshannon(ref_pct, cur_pct))


def psi_value(sample: Sample) -> float:
    """Population Stability Index: sum((ref - cur) * ln(ref / cur)) over bins."""
    ref_pct, cur_pct = binned_shares(sample, fill_zeroes=True)
    return float(np.sum((ref_pct - cur_pct) * np.log(ref_pct / cur_pct)))


def kl_divergence(sample: Sample) -> float:
    """Kullback-Leibler divergence of reference from current (`scipy.stats.entropy`)."""
    from scipy import stats

    ref_pct, cur_pct = binned_shares(sample, fill_zeroes=True)
    return float(stats.entropy(ref_pct, cur_pct))


def hellinger_distance(sample: Sample) -> float:
    """Hellinger distance; numerical columns use Sturges bins over the distinct values."""
    if isinstance(sample, CatSample):
        ref_counts, cur_counts = sample.ref_counts, sample.cur_counts
        ref_pct = ref_counts / ref_counts.sum()
        cur_pct = cur_counts / cur_counts.sum()
        total = float(np.sum(np.sqrt(ref_pct * cur_pct)))
    else:
        values, _, _ = sample.value_counts
        bins = np.histogram_bin_edges(sample.for_binning(values), bins="sturges")
        h1 = np.histogram(sample.ref, bins=bins, density=True)[0]
        h2 = np.histogram(sample.cur, bins=bins, density=True)[0]
        width = (max(bins) - min(bins)) / (len(bins) - 1)
        total = float(np.sum(np.sqrt(h1 * h2) * width))
    return float(np.sqrt(1 - np.clip(total, 0, 1)))


# ---------------------------------------------------------------------------------------
# registry


@dataclass(frozen=True)
class StatTest(StatTestInfo):
    """A catalogue entry with how to compute it."""

    compute: Callable[[Sample], float]


_COMPUTE: dict[str, Callable[[Sample], float]] = {
    "ks": ks_p_value,
    "chisquare": chisquare_p_value,
    "z": z_p_value,
    "wasserstein": wasserstein_normed,
    "jensenshannon": jensenshannon_distance,
    "psi": psi_value,
    "kl_div": kl_divergence,
    "hellinger": hellinger_distance,
}

STAT_TESTS: dict[str, StatTest] = {
    name: StatTest(**{f.name: getattr(info, f.name) for f in fields(info)}, compute=_COMPUTE[name])
    for name, info in CATALOGUE.items()
}


def get_test(name: str) -> StatTest:
    try:
        return STAT_TESTS[name]
    except KeyError:
        raise DriftError(f"unknown drift test {name!r}; allowed: {', '.join(STAT_TESTS)}") from None
