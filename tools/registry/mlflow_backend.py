"""The MLflow registry backend: the same operations through `MlflowClient`.

Used when `MLFLOW_TRACKING_URI` is set (an `http(s)://` server, or a database URI such as
`sqlite:///mlflow.db` for in-process use). MLflow is imported lazily (it is an optional
extra and takes seconds to import). Calls used: `search_registered_models`,
`search_model_versions`, `get_model_version`, `get_model_version_by_alias`, `get_run` (a
version's params and metrics come from its run when MLflow 3 does not carry them on the
version), `set_registered_model_alias`, `delete_registered_model_alias`, and for
registration `create_registered_model`, `get_logged_model`, `create_run` + `log_batch`,
`create_model_version(..., model_id=)` and `set_logged_model_tags` (MLflow 3 logged models,
`models:/m-<id>`: the version links to the logged model as `mlflow.register_model` does),
and `delete_run` when a registration is refused after its run was made, so no orphan run
is left. Stages are never written (deprecated since MLflow 2.9).

MLflow keeps no alias history; the service records every move in opsbot's database.
Network failures become a `RegistryError` naming the server: the MLflow client's own
retries are bounded (`MLFLOW_HTTP_REQUEST_MAX_RETRIES`, `MLFLOW_HTTP_REQUEST_TIMEOUT`
default to 2 and 15 s here unless set), so a down server answers in seconds, not minutes.
That plumbing is in `mlflow_client.py`, the conversions of MLflow's entities in
`mlflow_convert.py`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tools.registry.entities import ModelInfo, NewVersion, VersionInfo
from tools.registry.errors import RegistryError
from tools.registry.mlflow_client import MlflowCalls, MlflowRefusal
from tools.registry.mlflow_convert import (
    aliases_of,
    model_info,
    quoted,
    safe_uri,
    version_info,
    version_tags,
)
from tools.registry.store import unknown_model_message, unknown_version_message

EXPERIMENT_NAME = "opsbot-registry"


class MlflowBackend(MlflowCalls):
    """RegistryBackend over an MLflow tracking/registry server or database."""

    kind = "mlflow"

    def _raw_model(self, name: str) -> Any:
        try:
            return self._call(self.client.get_registered_model, name)
        except MlflowRefusal as exc:
            if self._missing(exc):
                raise RegistryError(unknown_model_message(name, self.model_names())) from None
            raise RegistryError(f"MLflow refused to read model {name!r}: {exc.message}") from None

    def _raw_versions(self, name: str) -> list[Any]:
        try:
            return list(
                self._pages(
                    self.client.search_model_versions,
                    filter_string=f"name={quoted('model name', name)}",
                    order_by=["version_number DESC"],
                )
            )
        except MlflowRefusal as exc:
            raise RegistryError(
                f"MLflow refused to list versions of {name!r}: {exc.message}"
            ) from None

    def _run_data(self, run_id: str | None) -> tuple[dict[str, float], dict[str, str], str | None]:
        if not run_id:
            return {}, {}, None
        try:
            run = self._call(self.client.get_run, run_id)
        except MlflowRefusal as exc:
            if self._missing(exc):
                return {}, {}, None  # the run was deleted: the version stays readable
            raise RegistryError(f"MLflow refused to read run {run_id}: {exc.message}") from None
        metrics = {k: float(v) for k, v in (run.data.metrics or {}).items()}
        params = {k: str(v) for k, v in (run.data.params or {}).items()}
        return metrics, params, getattr(run.info, "user_id", None) or None

    def _version(self, mv: Any, aliases: dict[str, int] | None = None) -> VersionInfo:
        return version_info(mv, aliases, self._run_data(mv.run_id))

    # ------------------------------------------------------------------ reads
    def model_names(self) -> list[str]:
        try:
            return sorted(m.name for m in self._pages(self.client.search_registered_models))
        except MlflowRefusal as exc:
            raise RegistryError(f"MLflow refused to list models: {exc.message}") from None

    def list_models(self, filter_text: str | None = None) -> list[ModelInfo]:
        filter_string = None
        if filter_text:
            filter_string = f"name ILIKE {quoted('filter', '%' + filter_text + '%')}"
        try:
            raws = list(
                self._pages(self.client.search_registered_models, filter_string=filter_string)
            )
        except MlflowRefusal as exc:
            raise RegistryError(f"MLflow refused to list models: {exc.message}") from None
        out = []
        for raw in sorted(raws, key=lambda m: m.name):
            numbers = [int(v.version) for v in self._raw_versions(raw.name)]
            out.append(model_info(raw, numbers))
        return out

    def get_model(self, name: str) -> ModelInfo:
        raw = self._raw_model(name)
        return model_info(raw, [int(v.version) for v in self._raw_versions(name)])

    def list_versions(self, name: str) -> list[VersionInfo]:
        aliases = aliases_of(self._raw_model(name))
        return [self._version(mv, aliases) for mv in self._raw_versions(name)]

    def get_version(self, name: str, version: int) -> VersionInfo:
        raw = self._raw_model(name)
        try:
            mv = self._call(self.client.get_model_version, name, str(version))
        except MlflowRefusal as exc:
            if self._missing(exc):
                numbers = [int(v.version) for v in self._raw_versions(name)]
                raise RegistryError(unknown_version_message(name, version, numbers)) from None
            raise RegistryError(
                f"MLflow refused to read {name} v{version}: {exc.message}"
            ) from None
        return self._version(mv, aliases_of(raw))

    def get_alias(self, name: str, alias: str) -> int | None:
        try:
            mv = self._call(self.client.get_model_version_by_alias, name, alias)
        except MlflowRefusal as exc:
            # MLflow answers an unset alias with INVALID_PARAMETER_VALUE "... not found"
            if self._missing(exc) or "not found" in exc.message:
                self._raw_model(name)  # unknown model -> its own clear error
                return None
            raise RegistryError(
                f"MLflow refused to read alias {alias!r} of {name!r}: {exc.message}"
            ) from None
        return int(mv.version)

    # ------------------------------------------------------------------ writes
    def set_alias(self, name: str, alias: str, version: int) -> None:
        try:
            self._call(self.client.set_registered_model_alias, name, alias, str(version))
        except MlflowRefusal as exc:
            if self._missing(exc):
                self.get_version(name, version)  # the precise "unknown model/version" error
            raise RegistryError(
                f"MLflow refused to point {alias!r} of {name!r} at v{version}: {exc.message}"
            ) from None

    def delete_alias(self, name: str, alias: str) -> None:
        if self.get_alias(name, alias) is None:
            raise RegistryError(f"model {name!r} has no alias {alias!r}")
        try:
            self._call(self.client.delete_registered_model_alias, name, alias)
        except MlflowRefusal as exc:
            raise RegistryError(
                f"MLflow refused to delete alias {alias!r}: {exc.message}"
            ) from None

    def create_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> ModelInfo:
        try:
            self._call(
                self.client.create_registered_model,
                name,
                tags=dict(tags or {}) or None,
                description=description or None,
            )
        except MlflowRefusal as exc:
            if exc.code == "RESOURCE_ALREADY_EXISTS":
                raise RegistryError(f"model {name!r} is already registered") from None
            raise RegistryError(f"MLflow refused to create model {name!r}: {exc.message}") from None
        return self.get_model(name)

    def update_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> ModelInfo:
        self._raw_model(name)
        try:
            if description is not None:
                self._call(self.client.update_registered_model, name, description=description)
            for key, value in (tags or {}).items():
                self._call(self.client.set_registered_model_tag, name, key, value)
        except MlflowRefusal as exc:
            raise RegistryError(f"MLflow refused to update model {name!r}: {exc.message}") from None
        return self.get_model(name)

    def _log_run(self, new: NewVersion) -> str:
        """A run holding the version's params and metrics (MLflow keeps them on runs); a run
        MLflow refuses to fill is deleted again."""
        from mlflow.entities import Metric, Param

        client = self.client
        tags = {"mlflow.user": new.creator} if new.creator else None
        try:
            experiment = self._call(client.get_experiment_by_name, EXPERIMENT_NAME)
            experiment_id = (
                experiment.experiment_id
                if experiment is not None
                else self._call(client.create_experiment, EXPERIMENT_NAME)
            )
            run = self._call(client.create_run, experiment_id, tags=tags)
        except MlflowRefusal as exc:
            raise RegistryError(f"MLflow refused to create a run: {exc.message}") from None
        run_id = str(run.info.run_id)
        now = int(datetime.now(UTC).timestamp() * 1000)
        try:
            self._call(
                client.log_batch,
                run_id,
                metrics=[Metric(k, v, now, 0) for k, v in new.metrics.items()],
                params=[Param(k, v) for k, v in new.params.items()],
            )
            # MLflow prints "View run ... at" to stdout here; keep stdout clean for --json
            with contextlib.redirect_stdout(sys.stderr):
                self._call(client.set_terminated, run_id)
        except MlflowRefusal as exc:
            self._forget_run(run_id)
            raise RegistryError(
                f"MLflow refused the version's metrics/params: {exc.message}"
            ) from None
        return run_id

    def _check_logged_model(self, model_id: str) -> None:
        """Refuse an unknown logged model before anything is written (MLflow itself checks
        it only when the source is `models:/m-…` and no run id is given)."""
        try:
            self._call(self.client.get_logged_model, model_id)
        except MlflowRefusal as exc:
            if self._missing(exc) or "not found" in exc.message.lower():
                raise RegistryError(
                    f"MLflow at {safe_uri(self.uri)} has no logged model {model_id!r}; give the "
                    "id from model_info.model_id (or model_info.model_uri, models:/m-<id>) of "
                    "log_model in this tracking server"
                ) from None
            raise RegistryError(
                f"MLflow refused to read logged model {model_id!r}: {exc.message}"
            ) from None

    @contextlib.contextmanager
    def _store_sees_this_uri(self) -> Iterator[None]:
        """In process, MLflow's SQL registry store reads the logged model of a `models:/m-…`
        source through the *global* tracking URI (a TODO in its create_model_version), so it
        is pointed at this backend's store for the call; a server resolves it itself."""
        if self.uri.startswith(("http://", "https://")):
            yield
            return
        from mlflow.tracking._tracking_service.utils import _use_tracking_uri

        with _use_tracking_uri(self.uri):
            yield

    def _link_logged_model(self, model_id: str, name: str, version: str) -> None:
        """Record the version on the logged model (`mlflow.modelVersions`), as
        `mlflow.register_model` does, so MLflow's UI shows the link both ways (the server
        does this itself, MLflow's in-process SQL store does not)."""
        from mlflow.utils.mlflow_tags import MLFLOW_MODEL_VERSIONS

        model = self._call(self.client.get_logged_model, model_id)
        links = json.loads(model.tags.get(MLFLOW_MODEL_VERSIONS) or "[]")
        if any(e.get("name") == name and str(e.get("version")) == version for e in links):
            return  # an MLflow server records the link itself
        links.append({"name": name, "version": version})
        self._call(
            self.client.set_logged_model_tags, model_id, {MLFLOW_MODEL_VERSIONS: json.dumps(links)}
        )

    def create_version(self, name: str, new: NewVersion) -> VersionInfo:
        self._raw_model(name)
        if new.status != "READY":
            raise RegistryError(
                f"MLflow sets a version's status itself; cannot register one as {new.status}"
            )
        if new.run_id and (new.metrics or new.params):
            raise RegistryError(
                "with MLflow a version's metrics and params come from its run: give either "
                "run_id or metrics/params, not both"
            )
        if new.model_id:
            self._check_logged_model(new.model_id)
        logged_run = self._log_run(new) if not new.run_id and (new.metrics or new.params) else None
        try:
            with self._store_sees_this_uri():
                mv = self._call(
                    self.client.create_model_version,
                    name,
                    new.source,
                    run_id=new.run_id or logged_run,
                    tags=version_tags(new) or None,
                    description=new.description or None,
                    model_id=new.model_id,
                )
        except MlflowRefusal as exc:
            self._forget_run(logged_run)
            raise RegistryError(
                f"MLflow refused to register a version of {name!r}: {exc.message}"
            ) from None
        except BaseException:
            self._forget_run(logged_run)
            raise
        if new.model_id:
            self._link_logged_model(new.model_id, name, str(mv.version))
        return self.get_version(name, int(mv.version))

    def _forget_run(self, run_id: str | None) -> None:
        """Delete the run opsbot made for a registration MLflow refused (no orphan runs).
        A failure to delete is reported with the run id rather than hidden."""
        if run_id is None:
            return
        try:
            self._call(self.client.delete_run, run_id)
        except (RegistryError, MlflowRefusal) as exc:
            raise RegistryError(
                f"MLflow refused the registration, and deleting its run {run_id} failed too "
                f"({exc}); delete that run by hand"
            ) from None
