"""Model performance as one service: the intake, a version's report, and the monitor's check.

Which version: the one asked for (3, v3 or an alias), else the one behind the live alias
(production, else champion), else the newest version that has stored predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from core.errors import Invalid, NotFound
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
