"""Conversions of the MLflow registry backend (`mlflow_backend.py`): MLflow's entities as
opsbot's `ModelInfo` / `VersionInfo`, a version's tags on the way in, filter quoting and
URIs without passwords. No client calls here; MLflow itself is not imported."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tools.registry.entities import ModelInfo, NewVersion, VersionInfo
from tools.registry.errors import RegistryError
from tools.registry.validation import LOGGED_MODEL_SOURCE_RE

#: version tag holding the logged-model id when the source is not models:/m-<id>
MODEL_ID_TAG = "opsbot.logged_model_id"


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


def when(ms: Any) -> datetime | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def quoted(kind: str, value: str) -> str:
    if "'" in value or "\\" in value:
        raise RegistryError(f"{kind} {value!r} cannot contain quotes or backslashes")
    return f"'{value}'"


def version_info(
    mv: Any,
    aliases: dict[str, int] | None,
    run_data: tuple[dict[str, float], dict[str, str], str | None],
) -> VersionInfo:
    """An MLflow ModelVersion as opsbot's VersionInfo; `run_data` is its run's (metrics,
    params, user), used when MLflow 3 does not carry them on the version; `aliases` the
    model's (else the version's own)."""
    version = int(mv.version)
    metrics = {m.key: float(m.value) for m in (getattr(mv, "metrics", None) or [])}
    params = {p.name: str(p.value) for p in (getattr(mv, "params", None) or [])}
    run_metrics, run_params, run_user = run_data
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
        created_at=when(mv.creation_timestamp),
        aliases=sorted(names),
        model_id=getattr(mv, "model_id", None)
        or (mv.tags or {}).get(MODEL_ID_TAG)
        or logged_model_of(mv.source),
    )


def aliases_of(raw: Any) -> dict[str, int]:
    return {str(a): int(v) for a, v in sorted((raw.aliases or {}).items())}


def model_info(raw: Any, numbers: list[int]) -> ModelInfo:
    """An MLflow RegisteredModel as ModelInfo; `numbers` are its version numbers."""
    return ModelInfo(
        name=raw.name,
        description=raw.description or "",
        tags=dict(raw.tags or {}),
        aliases=aliases_of(raw),
        latest_version=max(numbers) if numbers else None,
        n_versions=len(numbers),
        created_at=when(raw.creation_timestamp),
        updated_at=when(raw.last_updated_timestamp),
    )


def version_tags(new: NewVersion) -> dict[str, str]:
    """The version's tags, plus the logged-model id when the source does not carry it:
    MLflow's SQL store accepts `model_id` but does not keep it on the version."""
    tags = dict(new.tags)
    if new.model_id and logged_model_of(new.source) != new.model_id:
        tags[MODEL_ID_TAG] = new.model_id
    return tags


def logged_model_of(source: str | None) -> str | None:
    """The logged-model id of a `models:/m-<id>` source (MLflow's SQL store does not keep
    the model_id it was given on the version; the source carries it)."""
    match = LOGGED_MODEL_SOURCE_RE.fullmatch(source or "")
    return match.group(1) if match else None
