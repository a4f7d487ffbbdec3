"""Drift data sources per model version, and every drift report, in opsbot's database.

A version's reference and current data are registered once (CSV/Parquet files or SQL
queries, as `DataSource` dicts) with the drift options (e.g. the feature columns). Every
run's full report is stored, so "is it drifting?" is a read of the latest row and there
is a history. A report carries the fingerprint of what it was computed from (the source
definitions, the options and, for files, their size and modification time), so a reader
can tell whether it still describes the data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import iso, utcnow
from tools.registry.drift import DataSource, DriftOptions, DriftReport
from tools.registry.errors import RegistryError
from tools.registry.tables import DriftReportRow, DriftSourceRow


@dataclass(frozen=True)
class DriftSpec:
    """Where a version's data comes from and how to compare it."""

    model: str
    version: int
    reference: DataSource
    current: DataSource
    options: dict[str, Any]
    updated_by: str = ""
    updated_at: datetime | None = None

    def drift_options(self) -> DriftOptions:
        return DriftOptions.from_dict(self.options)

    def fingerprint(self) -> str:
        """Changes when the definitions, the options or a data file change."""
        parts: list[Any] = [self.reference.to_dict(), self.current.to_dict(), self.options]
        for source in (self.reference, self.current):
            if source.path:
                path = Path(source.path)
                try:
                    stat = path.stat()
                    parts.append([str(path), stat.st_size, stat.st_mtime_ns])
                except OSError:
                    parts.append([str(path), None])
        blob = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "reference": self.reference.to_dict(),
            "current": self.current.to_dict(),
            "options": self.options,
            "updated_by": self.updated_by,
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True)
class StoredReport:
    id: int
    model: str
    version: int
    created_at: datetime
    fingerprint: str
    trigger: str
    actor: str
    report: DriftReport

    @property
    def dataset_drift(self) -> bool:
        return self.report.dataset_drift

    def headline(self) -> str:
        r = self.report
        names = ", ".join(f.name for f in r.drifted_features[:6])
        more = "…" if r.n_drifted > 6 else ""
        if r.dataset_drift:
            return f"DRIFT: {r.n_drifted} of {r.n_features} features drifted ({names}{more})"
        if r.n_drifted:
            return (
                f"no dataset drift; {r.n_drifted} of {r.n_features} features drifted "
                f"({names}{more})"
            )
        return f"no drift in {r.n_features} features"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "created_at": iso(self.created_at),
            "trigger": self.trigger,
            "actor": self.actor,
            "dataset_drift": self.report.dataset_drift,
            "drift_share": self.report.drift_share,
            "n_features": self.report.n_features,
            "n_drifted": self.report.n_drifted,
            "severity": self.report.severity,
            "drifted": [f.name for f in self.report.drifted_features],
        }


def _source(value: Any, role: str) -> DataSource:
    if isinstance(value, DataSource):
        return value
    if isinstance(value, str | Path):
        return DataSource.file(value)
    if isinstance(value, dict):
        return DataSource.from_dict(value)
    raise RegistryError(
        f"{role} data must be a file path (CSV/Parquet) or a data source dict "
        f"({{'kind': 'sql', 'query': ...}}), got {type(value).__name__}"
    )


def _stored(row: DriftReportRow) -> StoredReport:
    assert row.id is not None
    return StoredReport(
        id=row.id,
        model=row.model,
        version=row.version,
        created_at=row.created_at,
        fingerprint=row.fingerprint,
        trigger=row.trigger,
        actor=row.actor,
        report=DriftReport.from_dict(row.report),
    )


class DriftStore:
    def __init__(self, engine: Engine, registry_key: str) -> None:
        self._engine = engine
        self.registry_key = registry_key

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # ------------------------------------------------------------------ sources
    def _source_row(self, db: Session, model: str, version: int) -> DriftSourceRow | None:
        return db.exec(
            select(DriftSourceRow)
            .where(DriftSourceRow.registry == self.registry_key)
            .where(DriftSourceRow.model == model)
            .where(DriftSourceRow.version == version)
        ).first()

    def make_spec(
        self,
        model: str,
        version: int,
        reference: Any,
        current: Any,
        options: dict[str, Any] | None = None,
        updated_by: str = "",
    ) -> DriftSpec:
        """Validate a definition (sources and options) without storing it."""
        ref = _source(reference, "reference")
        cur = _source(current, "current")
        for role, source in (("reference", ref), ("current", cur)):
            if source.path is not None and not Path(source.path).is_file():
                raise RegistryError(f"{role} data file not found: {source.path}")
        opts = dict(options or {})
        DriftOptions.from_dict(opts)  # a bad option fails now, with the engine's message
        return DriftSpec(model, version, ref, cur, opts, updated_by, utcnow())

    def save_spec(self, spec: DriftSpec) -> DriftSpec:
        with self._session() as db:
            row = self._source_row(db, spec.model, spec.version)
            if row is None:
                row = DriftSourceRow(
                    registry=self.registry_key,
                    model=spec.model,
                    version=spec.version,
                    reference={},
                    current={},
                )
            row.reference = spec.reference.to_dict()
            row.current = spec.current.to_dict()
            row.options = dict(spec.options)
            row.updated_by = spec.updated_by[:200]
            row.updated_at = utcnow()
            db.add(row)
            db.commit()
        return spec

    def spec(self, model: str, version: int) -> DriftSpec | None:
        with self._session() as db:
            row = self._source_row(db, model, version)
        if row is None:
            return None
        return DriftSpec(
            model=row.model,
            version=row.version,
            reference=DataSource.from_dict(row.reference),
            current=DataSource.from_dict(row.current),
            options=dict(row.options),
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )

    def versions_with_data(self, model: str) -> list[int]:
        with self._session() as db:
            return sorted(
                db.exec(
                    select(DriftSourceRow.version)
                    .where(DriftSourceRow.registry == self.registry_key)
                    .where(DriftSourceRow.model == model)
                )
            )

    # ------------------------------------------------------------------ reports
    def save_report(
        self, spec: DriftSpec, report: DriftReport, *, trigger: str, actor: str, fingerprint: str
    ) -> StoredReport:
        row = DriftReportRow(
            registry=self.registry_key,
            model=spec.model,
            version=spec.version,
            created_at=utcnow(),
            dataset_drift=report.dataset_drift,
            drift_share=float(report.drift_share),
            n_features=report.n_features,
            n_drifted=report.n_drifted,
            severity=report.severity,
            fingerprint=fingerprint,
            trigger=trigger[:32],
            actor=actor[:200],
            report=report.to_dict(),
        )
        with self._session() as db:
            db.add(row)
            db.commit()
        return _stored(row)

    def latest(self, model: str, version: int | None = None) -> StoredReport | None:
        found = self.history(model, version, limit=1)
        return found[0] if found else None

    def history(
        self, model: str, version: int | None = None, limit: int = 20
    ) -> list[StoredReport]:
        """Newest first."""
        with self._session() as db:
            query = (
                select(DriftReportRow)
                .where(DriftReportRow.registry == self.registry_key)
                .where(DriftReportRow.model == model)
            )
            if version is not None:
                query = query.where(DriftReportRow.version == version)
            rows = list(db.exec(query.order_by(col(DriftReportRow.id).desc()).limit(limit)))
        return [_stored(r) for r in rows]

    def report(self, report_id: int) -> StoredReport | None:
        with self._session() as db:
            row = db.get(DriftReportRow, report_id)
        return _stored(row) if row is not None and row.registry == self.registry_key else None
