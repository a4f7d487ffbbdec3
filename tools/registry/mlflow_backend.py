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
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from core.errors import OpsbotError
from tools.registry.entities import ModelInfo, NewVersion, VersionInfo
from tools.registry.errors import RegistryError
from tools.registry.store import unknown_model_message, unknown_version_message
from tools.registry.validation import LOGGED_MODEL_SOURCE_RE

T = TypeVar("T")
EXPERIMENT_NAME = "opsbot-registry"
#: version tag holding the logged-model id when the source is not models:/m-<id>
MODEL_ID_TAG = "opsbot.logged_model_id"
_PAGE = 100
_ENV_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
}


def safe_uri(uri: str) -> str:
    """The URI without a password, for messages and keys."""
    try:
        from sqlalchemy.engine import make_url

        if "://" in uri and not uri.startswith(("http://", "https://")):
            return make_url(uri).render_as_string(hide_password=True)
    except Exception:
        return uri.split("@")[-1]
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return uri


def _when(ms: Any) -> datetime | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def _quoted(kind: str, value: str) -> str:
    if "'" in value or "\\" in value:
        raise RegistryError(f"{kind} {value!r} cannot contain quotes or backslashes")
    return f"'{value}'"


class MlflowBackend:
    """RegistryBackend over an MLflow tracking/registry server or database."""

    kind = "mlflow"

    def __init__(self, tracking_uri: str, client: Any = None) -> None:
        if not tracking_uri or not tracking_uri.strip():
            raise RegistryError("MLFLOW_TRACKING_URI is empty; set it to the MLflow server URL")
        self.uri = tracking_uri.strip()
        self.key = f"mlflow:{safe_uri(self.uri)}"[:300]
        self._client = client

    def describe(self) -> str:
        return f"MLflow at {safe_uri(self.uri)}"

    def close(self) -> None:
        """MlflowClient holds no resources that need closing."""

    # ------------------------------------------------------------------ plumbing
    @property
    def client(self) -> Any:
        if self._client is None:
            for name, value in _ENV_DEFAULTS.items():
                os.environ.setdefault(name, value)
            try:
                from mlflow import MlflowClient
            except ImportError:
                raise RegistryError(
                    "MLFLOW_TRACKING_URI is set but the 'mlflow' package is not installed; "
                    "install the extra (`pip install 'opsbot[mlflow]'`) or unset MLFLOW_TRACKING_URI "
                    "to use the built-in registry"
                ) from None
            self._client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return self._client

    @staticmethod
    def _code(exc: BaseException) -> str:
        return str(getattr(exc, "error_code", "") or "")

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one client call; MLflow and network failures become a RegistryError."""
        try:
            return fn(*args, **kwargs)
        except RegistryError:
            raise
        except Exception as exc:
            from mlflow.exceptions import MlflowException

            if isinstance(exc, MlflowException):
                message = getattr(exc, "message", None) or str(exc)
                if "Max retries exceeded" in message or "Connection refused" in message:
                    raise RegistryError(
                        f"MLflow at {safe_uri(self.uri)} is unreachable: {message.splitlines()[0]}"
                    ) from exc
                raise _MlflowError(self._code(exc), message) from exc
            raise RegistryError(
                f"MLflow at {safe_uri(self.uri)} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _missing(self, exc: _MlflowError) -> bool:
        return exc.code == "RESOURCE_DOES_NOT_EXIST"

    def _pages(self, search: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
        token = None
        while True:
            page = self._call(search, max_results=_PAGE, page_token=token, **kwargs)
            yield from page
            token = getattr(page, "token", None)
            if not token:
                return

    def _raw_model(self, name: str) -> Any:
        try:
            return self._call(self.client.get_registered_model, name)
        except _MlflowError as exc:
            if self._missing(exc):
                raise RegistryError(unknown_model_message(name, self.model_names())) from None
            raise RegistryError(f"MLflow refused to read model {name!r}: {exc.message}") from None

    def _raw_versions(self, name: str) -> list[Any]:
        try:
            return list(
                self._pages(
                    self.client.search_model_versions,
                    filter_string=f"name={_quoted('model name', name)}",
                    order_by=["version_number DESC"],
                )
            )
        except _MlflowError as exc:
            raise RegistryError(
                f"MLflow refused to list versions of {name!r}: {exc.message}"
            ) from None

    def _run_data(self, run_id: str | None) -> tuple[dict[str, float], dict[str, str], str | None]:
        if not run_id:
            return {}, {}, None
        try:
            run = self._call(self.client.get_run, run_id)
        except _MlflowError as exc:
            if self._missing(exc):
                return {}, {}, None  # the run was deleted: the version stays readable
            raise RegistryError(f"MLflow refused to read run {run_id}: {exc.message}") from None
        metrics = {k: float(v) for k, v in (run.data.metrics or {}).items()}
        params = {k: str(v) for k, v in (run.data.params or {}).items()}
        return metrics, params, getattr(run.info, "user_id", None) or None

    def _version(self, mv: Any, aliases: dict[str, int] | None = None) -> VersionInfo:
        version = int(mv.version)
        metrics = {m.key: float(m.value) for m in (getattr(mv, "metrics", None) or [])}
        params = {p.name: str(p.value) for p in (getattr(mv, "params", None) or [])}
        run_metrics, run_params, run_user = self._run_data(mv.run_id)
        if aliases is None:
            names = list(getattr(mv, "aliases", None) or [])
        else:
            names = [a for a, v in aliases.items() if v == version]
        return VersionInfo(
            name=mv.name,
            version=version,
            source=mv.source or "",
            status=str(mv.status or "READY"),
            status_message=mv.status_message or None,
            run_id=mv.run_id or None,
            params=params or run_params,
            metrics=metrics or run_metrics,
            tags={k: v for k, v in (mv.tags or {}).items() if k != MODEL_ID_TAG},
            description=mv.description or "",
            creator=mv.user_id or run_user,
            created_at=_when(mv.creation_timestamp),
            aliases=sorted(names),
            model_id=getattr(mv, "model_id", None)
            or (mv.tags or {}).get(MODEL_ID_TAG)
            or _logged_model_of(mv.source),
        )

    @staticmethod
    def _aliases(raw: Any) -> dict[str, int]:
        return {str(a): int(v) for a, v in sorted((raw.aliases or {}).items())}

    # ------------------------------------------------------------------ reads
    def model_names(self) -> list[str]:
        try:
            return sorted(m.name for m in self._pages(self.client.search_registered_models))
        except _MlflowError as exc:
            raise RegistryError(f"MLflow refused to list models: {exc.message}") from None

    def list_models(self, filter_text: str | None = None) -> list[ModelInfo]:
        filter_string = None
        if filter_text:
            filter_string = f"name ILIKE {_quoted('filter', '%' + filter_text + '%')}"
        try:
            raws = list(
                self._pages(self.client.search_registered_models, filter_string=filter_string)
            )
        except _MlflowError as exc:
            raise RegistryError(f"MLflow refused to list models: {exc.message}") from None
        out = []
        for raw in sorted(raws, key=lambda m: m.name):
            numbers = [int(v.version) for v in self._raw_versions(raw.name)]
            out.append(self._model_info(raw, numbers))
        return out

    def _model_info(self, raw: Any, numbers: list[int]) -> ModelInfo:
        return ModelInfo(
            name=raw.name,
            description=raw.description or "",
            tags=dict(raw.tags or {}),
            aliases=self._aliases(raw),
            latest_version=max(numbers) if numbers else None,
            n_versions=len(numbers),
            created_at=_when(raw.creation_timestamp),
            updated_at=_when(raw.last_updated_timestamp),
        )

    def get_model(self, name: str) -> ModelInfo:
        raw = self._raw_model(name)
        return self._model_info(raw, [int(v.version) for v in self._raw_versions(name)])

    def list_versions(self, name: str) -> list[VersionInfo]:
        aliases = self._aliases(self._raw_model(name))
        return [self._version(mv, aliases) for mv in self._raw_versions(name)]

    def get_version(self, name: str, version: int) -> VersionInfo:
        raw = self._raw_model(name)
        try:
            mv = self._call(self.client.get_model_version, name, str(version))
        except _MlflowError as exc:
            if self._missing(exc):
                numbers = [int(v.version) for v in self._raw_versions(name)]
                raise RegistryError(unknown_version_message(name, version, numbers)) from None
            raise RegistryError(
                f"MLflow refused to read {name} v{version}: {exc.message}"
            ) from None
        return self._version(mv, self._aliases(raw))

    def get_alias(self, name: str, alias: str) -> int | None:
        try:
            mv = self._call(self.client.get_model_version_by_alias, name, alias)
        except _MlflowError as exc:
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
        except _MlflowError as exc:
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
        except _MlflowError as exc:
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
        except _MlflowError as exc:
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
        except _MlflowError as exc:
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
        except _MlflowError as exc:
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
        except _MlflowError as exc:
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
        except _MlflowError as exc:
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
                    tags=self._version_tags(new) or None,
                    description=new.description or None,
                    model_id=new.model_id,
                )
        except _MlflowError as exc:
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

    @staticmethod
    def _version_tags(new: NewVersion) -> dict[str, str]:
        """The version's tags, plus the logged-model id when the source does not carry it:
        MLflow's SQL store accepts `model_id` but does not keep it on the version."""
        tags = dict(new.tags)
        if new.model_id and _logged_model_of(new.source) != new.model_id:
            tags[MODEL_ID_TAG] = new.model_id
        return tags

    def _forget_run(self, run_id: str | None) -> None:
        """Delete the run opsbot made for a registration MLflow refused (no orphan runs).
        A failure to delete is reported with the run id rather than hidden."""
        if run_id is None:
            return
        try:
            self._call(self.client.delete_run, run_id)
        except (RegistryError, _MlflowError) as exc:
            raise RegistryError(
                f"MLflow refused the registration, and deleting its run {run_id} failed too "
                f"({exc}); delete that run by hand"
            ) from None


def _logged_model_of(source: str | None) -> str | None:
    """The logged-model id of a `models:/m-<id>` source (MLflow's SQL store does not keep
    the model_id it was given on the version; the source carries it)."""
    match = LOGGED_MODEL_SOURCE_RE.fullmatch(source or "")
    return match.group(1) if match else None


class _MlflowError(OpsbotError):
    """An MlflowException reduced to its code and message (internal to this module)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message.splitlines()[0] if message else code
