"""Model performance as one service: the intake, a version's report, its fairness by segment,
and the monitor's check.

Which version: the one asked for (3, v3 or an alias), else the one behind the live alias
(production, else champion), else the newest version that has stored predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from core.errors import Invalid, NotFound
from tools.modelperf.fairness import DEFAULT_MIN_GROUP_SIZE, FairnessReport, fairness_from_rows
from tools.modelperf.intake import Intake, registry_versions
from tools.modelperf.options import Options
from tools.modelperf.store import PredictionStore
from tools.registry.errors import RegistryError

if TYPE_CHECKING:
    from tools.modelperf.performance import Report


@dataclass(frozen=True)
class Checked:
    """The monitor's view of one model: its report, and the live alias if it has one."""

    report: Report
    alias: str | None


class ModelPerf:
    def __init__(
        self, store: PredictionStore, registry: Callable[[], Any], options: Options = Options()
    ) -> None:
        self.store = store
        self._registry = registry  # tools/registry/service.py:ModelRegistry, built on first use
        self.options = options

    @cached_property
    def intake(self) -> Intake:
        return Intake(self.store, registry_versions(self._registry()))

    def _version(self, name: str, ref: Any) -> tuple[int, str | None]:
        registry = self._registry()
        if name not in set(registry.model_names()):
            raise NotFound(f"no model named {name!r} in the registry")
        if ref not in (None, ""):
            try:
                return int(registry.resolve(name, ref)), None
            except RegistryError as exc:
                raise Invalid(str(exc)) from None
        alias, live = registry.live_version(name)
        if live is not None:
            return int(live), alias
        stored = {r.version for r in self.store.rows(name)}
        if not stored:
            raise NotFound(f"no predictions of {name} are stored yet")
        return max(stored), None

    def fairness(
        self,
        name: str,
        features: list[str],
        version: Any = None,
        since: datetime | None = None,
        min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    ) -> tuple[FairnessReport, int]:
        """Fairness by segment of `name`'s version (the live one by default) on its stored
        predictions whose outcomes arrived since `since`, by each of `features` (which the
        predictions carry); with the version it was computed for."""
        number, _ = self._version(name, version)
        rows = [
            {"actual": r.actual, "prediction": r.prediction, **r.features}
            for r in self.store.rows(name, since=since, version=number)
            if r.actual is not None
        ]
        if not rows:
            raise NotFound(f"no outcomes of {name} v{number} have arrived for that period yet")
        known = set().union(*(r.keys() for r in rows))
        missing = [f for f in features if f not in known]
        if missing:
            raise Invalid(
                f"the predictions of {name} v{number} carry no feature {', '.join(missing)}; "
                f"they carry {sorted(known - {'actual', 'prediction'})}"
            )
        report = fairness_from_rows(rows, features, min_group_size=min_group_size)
        return report, number

    def report(
        self, name: str, version: Any = None, window: timedelta | None = None
    ) -> tuple[Report, str | None]:
        """(the report of `name`'s version, the live alias it was chosen by, if any)."""
        from tools.modelperf.performance import performance  # numpy, scikit-learn

        number, alias = self._version(name, version)
        options = self.options if window is None else replace(self.options, window=window)
        metrics = dict(self._registry().version(name, number).metrics)
        return performance(self.store, name, number, metrics, options), alias

    def check(self) -> tuple[list[Checked], list[str]]:
        """Every model with stored predictions, its live version's report; and the models
        that could not be checked, with why."""
        checked: list[Checked] = []
        problems: list[str] = []
        for name in self.store.models():
            try:
                report, alias = self.report(name)
            except (NotFound, Invalid) as exc:
                problems.append(f"{name}: {exc}")
                continue
            checked.append(Checked(report, alias))
        return checked, problems
