"""The drift test catalogue: names, Evidently display names, where each test applies and
which way it fires, and Evidently 0.7's default rule. No numpy: options are validated and
tests are listed (CLI help, agent tool descriptions, start-up) without loading the numeric
code; `stattests` adds each test's implementation to these entries.

Directions (Evidently's): `ks` drifts when p <= threshold; `chisquare`/`z` when
p < threshold; the distances (`wasserstein`, `jensenshannon`, `psi`, `kl_div`,
`hellinger`) when statistic >= threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

NUM, CAT = "num", "cat"
P_VALUE, DISTANCE = "p_value", "distance"

# The size and cardinality limits of Evidently's default rule (`_get_default_stattest`).
SMALL_REFERENCE_MAX_ROWS = 1000
FEW_UNIQUE_MAX = 5
BINARY_MAX = 2


def type_word(column_type: str) -> str:
    """NUM / CAT as people say it, for messages."""
    return "numerical" if column_type == NUM else "categorical"


@dataclass(frozen=True)
class StatTestInfo:
    """A drift test as the catalogue lists it: where it applies and which way it fires."""

    name: str
    display_name: str  # Evidently's display name, e.g. "K-S p_value"
    kind: str  # P_VALUE or DISTANCE
    column_types: frozenset[str]
    default_threshold: float
    drift_if: str  # "<=", "<" or ">="

    def is_drift(self, statistic: float, threshold: float) -> bool:
        if self.drift_if == "<=":
            return bool(statistic <= threshold)
        if self.drift_if == "<":
            return bool(statistic < threshold)
        return bool(statistic >= threshold)


_BOTH = frozenset({NUM, CAT})

CATALOGUE: dict[str, StatTestInfo] = {
    t.name: t
    for t in (
        StatTestInfo("ks", "K-S p_value", P_VALUE, frozenset({NUM}), 0.05, "<="),
        StatTestInfo("chisquare", "chi-square p_value", P_VALUE, frozenset({CAT}), 0.05, "<"),
        StatTestInfo("z", "Z-test p_value", P_VALUE, frozenset({CAT}), 0.05, "<"),
        StatTestInfo(
            "wasserstein", "Wasserstein distance (normed)", DISTANCE, frozenset({NUM}), 0.1, ">="
        ),
        StatTestInfo("jensenshannon", "Jensen-Shannon distance", DISTANCE, _BOTH, 0.1, ">="),
        StatTestInfo("psi", "PSI", DISTANCE, _BOTH, 0.1, ">="),
        StatTestInfo("kl_div", "Kullback-Leibler divergence", DISTANCE, _BOTH, 0.1, ">="),
        StatTestInfo("hellinger", "Hellinger distance", DISTANCE, _BOTH, 0.1, ">="),
    )
}


def tests_for(column_type: str) -> str:
    """The names of the tests that apply to NUM or CAT columns, for messages."""
    return ", ".join(n for n, t in CATALOGUE.items() if column_type in t.column_types)


def default_test_name(column_type: str, n_ref: int, n_unique: int) -> str:
    """Evidently 0.7's default rule (`_get_default_stattest`).

    n_ref is the reference row count after dropping missing values, n_unique the number
    of distinct values in reference and current together.
    """
    if n_ref <= SMALL_REFERENCE_MAX_ROWS:
        if column_type == NUM and n_unique > FEW_UNIQUE_MAX:
            return "ks"
        return "chisquare" if n_unique > BINARY_MAX else "z"
    if column_type == NUM and n_unique > FEW_UNIQUE_MAX:
        return "wasserstein"
    return "jensenshannon"
