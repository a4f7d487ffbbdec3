"""`ModelRegistry`: the one object tools, CLI, monitors and the demo use.

It picks the backend (built-in SQL store, or MLflow when a tracking URI is given) and adds
what a registry alone does not have, always kept in opsbot's database: the alias history
(so "roll back" is one step to the previous holder), the drift data registered per
version, and every drift report. Every method validates its input first and raises
`RegistryError` (or the drift engine's `DriftError`) with a clear message before changing
anything.

The answers (`AliasPlan`, `ModelStatus`, `DriftOutcome`, `live_of`) are in `views.py`, the
checks of an alias move in `alias_moves.py`.

Size: over 400 lines as one cohesive class, the registry's single front door: each method is
a few lines of validation and sequencing over the backend, the alias history and the drift
store, whose work is already in their own modules (`validation`, `alias_moves`, `views`,
`history`, `drift_store`, `drift`); splitting the class would only split its callers' API.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from core.clock import iso, utcnow
from tools.registry.alias_moves import check_pinned, rollback_target
from tools.registry.compare import MetricDelta, metric_diff
from tools.registry.drift import DriftError
from tools.registry.drift_store import DriftSpec, DriftStore, StoredReport
from tools.registry.entities import ModelInfo, NewVersion, RegistryBackend, VersionInfo
from tools.registry.errors import RegistryError
from tools.registry.history import ROLLBACK, SET, AliasChange, AliasHistory
from tools.registry.validation import (
    READY,
    RESERVED_ALIAS,
    parse_version,
    validate_alias,
    validate_metrics,
    validate_model_id,
    validate_model_name,
    validate_source,
    validate_status,
    validate_text_map,
)
from tools.registry.views import (
    AliasPlan,
    DriftOutcome,
    ModelStatus,
    live_of,
)


class ModelRegistry:
    def __init__(
        self,
        engine: Engine,
        backend: RegistryBackend,
        *,
        drift_max_age_seconds: float = 3600.0,
    ) -> None:
        self.engine = engine
        self.backend = backend
        self.key = backend.key
        self.history_log = AliasHistory(engine, backend.key)
        self.drift_store = DriftStore(engine, backend.key)
        self.drift_max_age_seconds = drift_max_age_seconds

    def describe(self) -> str:
        return self.backend.describe()

    def close(self) -> None:
        self.backend.close()

    # ------------------------------------------------------------------ reads
    def model_names(self) -> list[str]:
        return self.backend.model_names()

    def list_models(self, filter_text: str | None = None) -> list[ModelInfo]:
        return self.backend.list_models(filter_text.strip() if filter_text else None)

    def get_model(self, name: str) -> ModelInfo:
        return self.backend.get_model(validate_model_name(name))

    def versions(self, name: str) -> list[VersionInfo]:
        return self.backend.list_versions(validate_model_name(name))

    def resolve(self, name: str, ref: Any) -> int:
        """A version number from 3 / "v3" / an alias / "latest"."""
        name = validate_model_name(name)
        if isinstance(ref, str) and ref.strip():
            text = ref.strip()
            if text.lower() == RESERVED_ALIAS:
                latest = self.backend.get_model(name).latest_version
                if latest is None:
                    raise RegistryError(f"model {name!r} has no versions yet")
                return latest
            if not text.lstrip("vV").isdigit():
                holder = self.backend.get_alias(name, validate_alias(text))
                if holder is None:
                    aliases = self.backend.get_model(name).aliases
                    known = ", ".join(f"{a} → v{v}" for a, v in aliases.items()) or "none"
                    raise RegistryError(
                        f"model {name!r} has no alias {text!r}; its aliases: {known}"
                    )
                return holder
        return parse_version(ref)

    def version(self, name: str, ref: Any) -> VersionInfo:
        name = validate_model_name(name)
        return self.backend.get_version(name, self.resolve(name, ref))

    def live_version(self, name: str) -> tuple[str | None, int | None]:
        """(alias, version) of what is live: production, else champion, else nothing."""
        return live_of(self.backend.get_model(validate_model_name(name)).aliases)

    def status(self, name: str, max_versions: int = 10) -> ModelStatus:
        name = validate_model_name(name)
        model = self.backend.get_model(name)
        versions = self.backend.list_versions(name)[:max_versions]
        live_alias, live = live_of(model.aliases)
        live_info = next((v for v in versions if v.version == live), None)
        if live is not None and live_info is None:
            live_info = self.backend.get_version(name, live)
        comparisons: dict[int, list[MetricDelta]] = {}
        if live_info is not None:
            for v in versions:
                if v.version != live:
                    comparisons[v.version] = metric_diff(live_info.metrics, v.metrics)
        drift: dict[int, StoredReport] = {}
        for v in versions:
            latest = self.drift_store.latest(name, v.version)
            if latest is not None:
                drift[v.version] = latest
        history = self.history_log.changes(name, limit=5)
        return ModelStatus(model, versions, live_alias, live, comparisons, drift, history)

    def alias_history(
        self, name: str, alias: str | None = None, limit: int = 20
    ) -> list[AliasChange]:
        name = validate_model_name(name)
        self.backend.get_model(name)
        if alias is not None:
            validate_alias(alias)
        return self.history_log.changes(name, alias, limit=limit)

    # ------------------------------------------------------------------ aliases
    def plan_alias(self, name: str, alias: str, version: Any = None) -> AliasPlan:
        """Validate an alias move and describe it; changes nothing (but may store a fresh
        drift report of the target, which is opsbot's own state)."""
        name = validate_model_name(name)
        alias = validate_alias(alias)
        model = self.backend.get_model(name)
        current = model.aliases.get(alias)
        rollback = version is None
        stack: list[int] = []
        if rollback:
            target, stack = rollback_target(self.history_log, name, alias, current)
        else:
            target = parse_version(version)
        target_version = self.backend.get_version(name, target)
        if target_version.status != READY:
            detail = f" ({target_version.status_message})" if target_version.status_message else ""
            raise RegistryError(
                f"{name} v{target} is {target_version.status}{detail}, not READY: only READY "
                "versions can hold an alias"
            )
        if current == target:
            raise RegistryError(
                f"{alias} of {name!r} already points to v{target}; nothing to change"
            )
        current_version = self.backend.get_version(name, current) if current is not None else None
        deltas = (
            metric_diff(current_version.metrics, target_version.metrics) if current_version else []
        )
        drift, note = self._drift_note(name, target)
        held = self.drift_store.latest(name, current) if current is not None else None
        return AliasPlan(
            model=name,
            alias=alias,
            current=current,
            target=target,
            rollback=rollback,
            target_version=target_version,
            current_version=current_version,
            deltas=deltas,
            drift=drift,
            drift_note=note,
            stack=stack,
            current_drift=held,
        )

    def _drift_note(self, name: str, version: int) -> tuple[StoredReport | None, str]:
        if self.drift_store.spec(name, version) is None:
            latest = self.drift_store.latest(name, version)
            if latest is None:
                return None, "unknown: no reference/current data registered for this version"
            return latest, f"{latest.headline()} (report of {iso(latest.created_at)})"
        try:
            outcome = self.drift(name, version, trigger="preview", actor="opsbot")
        except DriftError as exc:
            return None, f"could not be checked: {exc}"
        stored = outcome.stored
        return stored, f"{stored.headline()} (report of {iso(stored.created_at)})"

    def set_alias(
        self,
        name: str,
        alias: str,
        version: Any = None,
        *,
        actor: str,
        reason: str = "",
        expected_current: int | None = None,
        expected_target: int | None = None,
        approval_id: str | None = None,
    ) -> AliasChange:
        """Move the alias (version None = roll back one step) and record it in the history.

        expected_current / expected_target: what the dry run saw; when given, the move is
        refused if the alias or the rollback target changed since (state can change while
        an approval waits).
        """
        plan = self.plan_alias(name, alias, version)
        check_pinned(plan, expected_current, expected_target)
        self.backend.set_alias(plan.model, plan.alias, plan.target)
        return self.history_log.record(
            model=plan.model,
            alias=plan.alias,
            from_version=plan.current,
            to_version=plan.target,
            kind=ROLLBACK if plan.rollback else SET,
            actor=actor,
            reason=reason,
            approval_id=approval_id,
        )

    # ------------------------------------------------------------------ registration
    def register_model(
        self, name: str, description: str | None = None, tags: dict[str, Any] | None = None
    ) -> tuple[ModelInfo, bool]:
        """Create the model, or update its description/tags; returns (model, created)."""
        name = validate_model_name(name)
        clean_tags = validate_text_map("tag", tags)
        if name in self.backend.model_names():
            if description is None and not clean_tags:
                return self.backend.get_model(name), False
            return self.backend.update_model(name, description, clean_tags), False
        return self.backend.create_model(name, description or "", clean_tags), True

    def register_version(
        self,
        name: str,
        source: str,
        *,
        run_id: str | None = None,
        model_id: str | None = None,
        params: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        description: str = "",
        creator: str | None = None,
        status: str = READY,
        reference: Any = None,
        current: Any = None,
        drift_options: dict[str, Any] | None = None,
    ) -> VersionInfo:
        """Register a new immutable version (creating the model if needed), optionally with
        its drift data. Everything is validated before anything is written. `model_id` (or a
        `models:/m-<id>` source) names the MLflow 3 logged model the version comes from."""
        name = validate_model_name(name)
        clean_source = validate_source(source)
        new = NewVersion(
            source=clean_source,
            model_id=validate_model_id(model_id, clean_source),
            run_id=run_id.strip() if run_id and run_id.strip() else None,
            params=validate_text_map("param", params),
            metrics=validate_metrics(metrics),
            tags=validate_text_map("tag", tags),
            description=description or "",
            creator=creator,
            status=validate_status(status),
        )
        spec = None
        if (reference is None) != (current is None):
            raise RegistryError("drift data needs both a reference and a current data source")
        if reference is not None:
            spec = self.drift_store.make_spec(
                name, 0, reference, current, drift_options, creator or ""
            )
        if name not in self.backend.model_names():
            self.backend.create_model(name)
        created = self.backend.create_version(name, new)
        if spec is not None:
            self.drift_store.save_spec(replace(spec, version=created.version))
        return created

    def set_drift_data(
        self,
        name: str,
        version: Any,
        reference: Any,
        current: Any,
        options: dict[str, Any] | None = None,
        *,
        actor: str = "",
    ) -> DriftSpec:
        name = validate_model_name(name)
        number = self.resolve(name, version)
        self.backend.get_version(name, number)
        spec = self.drift_store.make_spec(name, number, reference, current, options, actor)
        return self.drift_store.save_spec(spec)

    def drift_spec(self, name: str, version: int) -> DriftSpec | None:
        return self.drift_store.spec(name, version)

    # ------------------------------------------------------------------ drift
    def default_drift_version(self, name: str) -> int:
        """The live version (production, else champion), else the newest with drift data."""
        name = validate_model_name(name)
        _, live = self.live_version(name)
        if live is not None:
            return live
        with_data = self.drift_store.versions_with_data(name)
        if with_data:
            return with_data[-1]
        latest = self.backend.get_model(name).latest_version
        if latest is None:
            raise RegistryError(f"model {name!r} has no versions yet")
        return latest

    def drift(
        self,
        name: str,
        version: Any = None,
        *,
        refresh: bool = False,
        actor: str = "opsbot",
        trigger: str = "manual",
    ) -> DriftOutcome:
        """The drift report of a version: the stored one while it still describes the data
        (same sources, options and files, younger than the maximum age), else a new run,
        stored before it is returned."""
        name = validate_model_name(name)
        number = (
            self.default_drift_version(name) if version is None else self.resolve(name, version)
        )
        self.backend.get_version(name, number)  # unknown version -> clear error
        spec = self.drift_store.spec(name, number)
        if spec is None:
            with_data = self.drift_store.versions_with_data(name)
            hint = (
                f"versions with data: {', '.join(f'v{v}' for v in with_data)}"
                if with_data
                else "no version of it has data yet"
            )
            raise RegistryError(
                f"no reference/current data is registered for {name} v{number} ({hint}); "
                f"register it with `opsbot models data {name} {number} --reference FILE "
                "--current FILE`"
            )
        fingerprint = spec.fingerprint()
        latest = self.drift_store.latest(name, number)
        if not refresh and latest is not None and latest.fingerprint == fingerprint:
            age = (utcnow() - latest.created_at).total_seconds()
            if age < self.drift_max_age_seconds:
                return DriftOutcome(latest, reused=True, spec=spec)
        from tools.registry.drift import run_drift  # numpy and scipy: only when drift runs

        report = run_drift(spec.reference, spec.current, spec.drift_options(), engine=self.engine)
        stored = self.drift_store.save_report(
            spec, report, trigger=trigger, actor=actor, fingerprint=fingerprint
        )
        return DriftOutcome(stored, reused=False, spec=spec)

    def drift_history(self, name: str, version: Any = None, limit: int = 20) -> list[StoredReport]:
        name = validate_model_name(name)
        self.backend.get_model(name)
        number = None if version is None else self.resolve(name, version)
        return self.drift_store.history(name, number, limit=limit)

    def plot(self, stored: StoredReport, directory: Path) -> Path | None:
        """PNG of the drifted features (None when nothing drifted); reused when present."""
        from tools.registry.drift import plot_drift

        if not stored.report.drifted_features:
            return None
        path = directory / f"{stored.model}-v{stored.version}-drift-{stored.id}.png"
        if path.exists():
            return path
        title = (
            f"{stored.model} v{stored.version}: {stored.report.n_drifted} of "
            f"{stored.report.n_features} features drifted ({iso(stored.created_at)})"
        )
        tmp = path.with_suffix(".tmp.png")
        plot_drift(stored.report, tmp, title=title)
        tmp.replace(path)
        return path


def build_backend(engine: Engine, mlflow_tracking_uri: str | None) -> RegistryBackend:
    """MLflow when a tracking URI is configured, else the built-in store."""
    if mlflow_tracking_uri:
        from tools.registry.mlflow_backend import MlflowBackend

        return MlflowBackend(mlflow_tracking_uri)
    from tools.registry.store import BuiltinBackend

    return BuiltinBackend(engine)


def build_registry(
    engine: Engine, mlflow_tracking_uri: str | None = None, *, drift_max_age_seconds: float = 3600.0
) -> ModelRegistry:
    return ModelRegistry(
        engine,
        build_backend(engine, mlflow_tracking_uri),
        drift_max_age_seconds=drift_max_age_seconds,
    )


__all__ = ["ModelRegistry", "build_backend", "build_registry"]
