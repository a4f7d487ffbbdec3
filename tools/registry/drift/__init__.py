"""Drift engine: Evidently 0.7's per-column drift rule with numpy/scipy only.

Public API:
    run_drift(reference, current, options=None, *, engine=None, **changes) -> DriftReport
    DriftOptions, QualityThresholds             settings (defaults = Evidently's)
    DriftReport, FeatureDrift, QualityFinding   results; to_dict()/from_dict() round trip
    DataSource, Table, load_csv, load_parquet, load_sql, load_file, as_table   data
    explain(report) -> str                      a short text for people
    plot_drift(report, path, features=None) -> Path   PNG of the drifted features
    STAT_TESTS, default_test_name               the test catalogue and the default rule
    DriftError, DriftInputError                 clear, user-facing failures

Nothing here imports pandas or evidently; matplotlib is imported only by `plot_drift`, and
numpy/scipy only when a name that needs them (run_drift, the loaders, Table, STAT_TESTS)
is first used: the catalogue of tests (`catalogue`) and the data sources (`source`) are
plain Python.
"""

from typing import TYPE_CHECKING, Any

from tools.registry.drift.catalogue import default_test_name
from tools.registry.drift.errors import DriftError, DriftInputError
from tools.registry.drift.explain import explain
from tools.registry.drift.options import DriftOptions, QualityThresholds
from tools.registry.drift.plot import plot_drift
from tools.registry.drift.report import DriftReport, FeatureDrift, QualityFinding
from tools.registry.drift.source import DataSource

if TYPE_CHECKING:
    from tools.registry.drift.data import (
        Table,
        as_table,
        load_csv,
        load_file,
        load_parquet,
        load_sql,
    )
    from tools.registry.drift.engine import run_drift
    from tools.registry.drift.stattests import STAT_TESTS

# The names that need numpy, imported on first use (PEP 562): the registry, the agent tools
# and every CLI start import this package, but only a drift run needs the numeric code.
_LAZY = {
    "STAT_TESTS": "tools.registry.drift.stattests",
    "Table": "tools.registry.drift.data",
    "as_table": "tools.registry.drift.data",
    "load_csv": "tools.registry.drift.data",
    "load_file": "tools.registry.drift.data",
    "load_parquet": "tools.registry.drift.data",
    "load_sql": "tools.registry.drift.data",
    "run_drift": "tools.registry.drift.engine",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "STAT_TESTS",
    "DataSource",
    "DriftError",
    "DriftInputError",
    "DriftOptions",
    "DriftReport",
    "FeatureDrift",
    "QualityFinding",
    "QualityThresholds",
    "Table",
    "as_table",
    "default_test_name",
    "explain",
    "load_csv",
    "load_file",
    "load_parquet",
    "load_sql",
    "plot_drift",
    "run_drift",
]
