"""The built-in registry backend: models, versions and aliases in opsbot's own database.

This is the default (no MLflow needed). It keeps MLflow's data model: a registered model
with description and tags, immutable integer versions (source URI, run id, params,
metrics, tags, status, creator, time) and aliases pointing at one version each. Version
numbers are allocated inside the insert's transaction and protected by a unique key, so
two concurrent registrations cannot get the same number (the loser retries).
"""

from __future__ import annotations

import difflib

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from core.clock import utcnow
from tools.registry.entities import ModelInfo, NewVersion, VersionInfo
from tools.registry.errors import RegistryError
from tools.registry.tables import ModelAliasRow, ModelVersionRow, RegisteredModelRow

BUILTIN_KEY = "builtin"


def unknown_model_message(name: str, known: list[str]) -> str:
    """'unknown model X; did you mean Y? known models: ...' (shared with the MLflow backend)."""
    message = f"unknown model {name!r}"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    message += f"; did you mean {close[0]!r}?" if close else "."
    if known:
        shown = ", ".join(sorted(known)[:20]) + (" …" if len(known) > 20 else "")
        message += f" Known models: {shown}."
    else:
        message += " No models are registered yet (try `opsbot demo` or `opsbot models register`)."
    return message


def unknown_version_message(name: str, version: int, versions: list[int]) -> str:
    if not versions:
        return f"model {name!r} has no version {version}: it has no versions yet"
    listed = ", ".join(f"v{v}" for v in sorted(versions))
    return f"model {name!r} has no version {version}; it has {listed}"


class BuiltinBackend:
    """RegistryBackend on SQLModel tables (SQLite or PostgreSQL)."""

    key = BUILTIN_KEY
    kind = "builtin"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def describe(self) -> str:
        return "the built-in registry (opsbot's database)"

    def close(self) -> None:
        """Nothing to release: the engine belongs to the runtime."""

    # ------------------------------------------------------------------ helpers
    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def _model_row(self, db: Session, name: str) -> RegisteredModelRow:
        row = db.exec(select(RegisteredModelRow).where(RegisteredModelRow.name == name)).first()
        if row is None:
            raise RegistryError(unknown_model_message(name, self.model_names()))
        return row

    def _aliases(self, db: Session, model_id: int) -> dict[str, int]:
        rows = db.exec(
            select(ModelAliasRow)
            .where(ModelAliasRow.model_id == model_id)
            .order_by(col(ModelAliasRow.alias))
        )
        return {r.alias: r.version for r in rows}

    def _info(self, db: Session, row: RegisteredModelRow) -> ModelInfo:
        assert row.id is not None
        count, latest = db.exec(
            select(func.count(col(ModelVersionRow.id)), func.max(ModelVersionRow.version)).where(
                ModelVersionRow.model_id == row.id
            )
        ).one()
        return ModelInfo(
            name=row.name,
            description=row.description,
            tags=dict(row.tags),
            aliases=self._aliases(db, row.id),
            latest_version=latest,
            n_versions=int(count or 0),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @staticmethod
    def _alias_row(db: Session, model: RegisteredModelRow, alias: str) -> ModelAliasRow | None:
        return db.exec(
            select(ModelAliasRow)
            .where(ModelAliasRow.model_id == model.id)
            .where(ModelAliasRow.alias == alias)
        ).first()

    @staticmethod
    def _version(name: str, row: ModelVersionRow, aliases: dict[str, int]) -> VersionInfo:
        return VersionInfo(
            name=name,
            version=row.version,
            source=row.source,
            status=row.status,
            status_message=row.status_message,
            run_id=row.run_id,
            model_id=row.logged_model_id,
            params=dict(row.params),
            metrics={k: float(v) for k, v in row.metrics.items()},
            tags=dict(row.tags),
            description=row.description,
            creator=row.creator,
            created_at=row.created_at,
            aliases=sorted(a for a, v in aliases.items() if v == row.version),
        )

    # ------------------------------------------------------------------ reads
    def model_names(self) -> list[str]:
        with self._session() as db:
            return list(db.exec(select(RegisteredModelRow.name).order_by(RegisteredModelRow.name)))

    def list_models(self, filter_text: str | None = None) -> list[ModelInfo]:
        with self._session() as db:
            query = select(RegisteredModelRow).order_by(col(RegisteredModelRow.name))
            if filter_text:
                query = query.where(
                    func.lower(RegisteredModelRow.name).contains(
                        filter_text.lower(), autoescape=True
                    )
                )
            return [self._info(db, row) for row in db.exec(query)]

    def get_model(self, name: str) -> ModelInfo:
        with self._session() as db:
            return self._info(db, self._model_row(db, name))

    def list_versions(self, name: str) -> list[VersionInfo]:
        with self._session() as db:
            model = self._model_row(db, name)
            assert model.id is not None
            aliases = self._aliases(db, model.id)
            rows = db.exec(
                select(ModelVersionRow)
                .where(ModelVersionRow.model_id == model.id)
                .order_by(col(ModelVersionRow.version).desc())
            )
            return [self._version(model.name, r, aliases) for r in rows]

    def get_version(self, name: str, version: int) -> VersionInfo:
        with self._session() as db:
            model = self._model_row(db, name)
            assert model.id is not None
            row = db.exec(
                select(ModelVersionRow)
                .where(ModelVersionRow.model_id == model.id)
                .where(ModelVersionRow.version == version)
            ).first()
            if row is None:
                numbers = list(
                    db.exec(
                        select(ModelVersionRow.version).where(ModelVersionRow.model_id == model.id)
                    )
                )
                raise RegistryError(unknown_version_message(name, version, numbers))
            return self._version(model.name, row, self._aliases(db, model.id))

    def get_alias(self, name: str, alias: str) -> int | None:
        with self._session() as db:
            model = self._model_row(db, name)
            assert model.id is not None
            return self._aliases(db, model.id).get(alias)

    # ------------------------------------------------------------------ writes
    def set_alias(self, name: str, alias: str, version: int) -> None:
        self.get_version(name, version)  # clear error for an unknown model or version
        with self._session() as db:
            model = self._model_row(db, name)
            assert model.id is not None
            row = self._alias_row(db, model, alias)
            now = utcnow()
            if row is None:
                row = ModelAliasRow(model_id=model.id, alias=alias, version=version, updated_at=now)
            else:
                row.version = version
                row.updated_at = now
            model.updated_at = now
            db.add(row)
            db.add(model)
            db.commit()

    def delete_alias(self, name: str, alias: str) -> None:
        with self._session() as db:
            model = self._model_row(db, name)
            row = self._alias_row(db, model, alias)
            if row is None:
                raise RegistryError(f"model {name!r} has no alias {alias!r}")
            db.delete(row)
            db.commit()

    def create_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> ModelInfo:
        with self._session() as db:
            row = RegisteredModelRow(name=name, description=description, tags=dict(tags or {}))
            db.add(row)
            try:
                db.commit()
            except IntegrityError:
                db.rollback()
                raise RegistryError(f"model {name!r} is already registered") from None
            return self._info(db, row)

    def update_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> ModelInfo:
        with self._session() as db:
            row = self._model_row(db, name)
            if description is not None:
                row.description = description
            if tags:
                row.tags = {**row.tags, **tags}
            row.updated_at = utcnow()
            db.add(row)
            db.commit()
            return self._info(db, row)

    def create_version(self, name: str, new: NewVersion) -> VersionInfo:
        for _attempt in range(5):
            with self._session() as db:
                model = self._model_row(db, name)
                assert model.id is not None
                latest = db.exec(
                    select(func.max(ModelVersionRow.version)).where(
                        ModelVersionRow.model_id == model.id
                    )
                ).one()
                row = ModelVersionRow(
                    model_id=model.id,
                    version=int(latest or 0) + 1,
                    source=new.source,
                    run_id=new.run_id,
                    logged_model_id=new.model_id,
                    params=dict(new.params),
                    metrics=dict(new.metrics),
                    tags=dict(new.tags),
                    status=new.status,
                    description=new.description,
                    creator=new.creator,
                )
                model.updated_at = utcnow()
                db.add(row)
                db.add(model)
                try:
                    db.commit()
                except IntegrityError:
                    db.rollback()
                    continue  # another writer took this number at the same moment
                return self._version(model.name, row, self._aliases(db, model.id))
        raise RegistryError(
            f"could not allocate a version number for {name!r}: too many concurrent registrations"
        )
