"""Prompts as YAML files, so teams can keep them in git and review changes there.

Format (`format: opsbot-prompts/1`): a list of prompts, each with its metadata, its labels
(`latest` is automatic and not written) and every version (deleted ones carry `deleted_at`
and `deleted_by`, so numbering survives a round trip). Multi-line templates are written as
YAML block scalars (`|`), which keep every character; where a block cannot (trailing spaces,
control characters) the emitter falls back to a quoted string, which is exact too. Exporting,
importing into an empty registry and exporting again gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from core.clock import as_utc, iso
from tools.prompts.errors import PromptError
from tools.prompts.store import PromptStore
from tools.prompts.views import PromptDoc, VersionDoc

FORMAT = "opsbot-prompts/1"
MAX_FILE_BYTES = 20 * 1024 * 1024


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings; the emitter falls back to quotes when needed."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _version_dict(v: VersionDoc) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": v.version,
        "type": v.kind,
        "template": v.template,
        "config": v.config,
        "message": v.message,
        "author": v.author,
        "created_at": iso(v.created_at),
        "sha256": v.sha256,
    }
    if v.deleted_at is not None:
        out["deleted_at"] = iso(v.deleted_at)
        out["deleted_by"] = v.deleted_by or ""
    return out


def dump_docs(docs: Iterable[PromptDoc]) -> str:
    document = {
        "format": FORMAT,
        "prompts": [
            {
                "name": d.name,
                "description": d.description,
                "tags": list(d.tags),
                "created_by": d.created_by,
                "created_at": iso(d.created_at),
                "labels": dict(sorted(d.labels.items())),
                "versions": [_version_dict(v) for v in d.versions],
            }
            for d in docs
        ],
    }
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100_000,
    )


def export_yaml(store: PromptStore, names: Iterable[str] | None = None) -> str:
    return dump_docs(store.export_docs(names))


def _time(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise PromptError(
        f"{where} must be an ISO 8601 time such as 2026-01-31T12:00:00Z, got {value!r}"
    )


def _field(item: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in item:
        raise PromptError(f"{where}: missing '{key}'")
    value = item[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise PromptError(f"{where}: '{key}' must be {names}, got {type(value).__name__}")
    return value


_PROMPT_KEYS = {"name", "description", "tags", "created_by", "created_at", "labels", "versions"}
_VERSION_KEYS = {
    "version", "type", "template", "config", "message", "author", "created_at", "sha256",
    "deleted_at", "deleted_by",
}  # fmt: skip


def _unknown(item: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(str(k) for k in item if k not in allowed)
    if extra:
        raise PromptError(
            f"{where}: unknown keys {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})"
        )


def parse_docs(text: str, source: str = "input") -> list[PromptDoc]:
    """Read the YAML format; every problem names the file, the prompt and the field."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise PromptError(f"{source} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PromptError(f"{source} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PromptError(
            f"{source} is not an opsbot prompt export: expected 'format: {FORMAT}' at the top"
        )
    prompts = data.get("prompts")
    if not isinstance(prompts, list):
        raise PromptError(f"{source}: 'prompts' must be a list")
    docs = []
    for index, item in enumerate(prompts, start=1):
        where = f"{source}: prompt {index}"
        if not isinstance(item, dict):
            raise PromptError(f"{where} must be a mapping")
        name = _field(item, "name", where, str)
        where = f"{source}: prompt {name!r}"
        _unknown(item, _PROMPT_KEYS, where)
        labels = item.get("labels") or {}
        if not isinstance(labels, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in labels.values()
        ):
            raise PromptError(f"{where}: 'labels' must map label names to version numbers")
        raw_versions = _field(item, "versions", where, list)
        versions = []
        for raw in raw_versions:
            if not isinstance(raw, dict):
                raise PromptError(f"{where}: each version must be a mapping")
            number = _field(raw, "version", where, int)
            at = f"{where} v{number}"
            _unknown(raw, _VERSION_KEYS, at)
            kind = _field(raw, "type", at, str)
            if kind not in ("text", "chat"):
                raise PromptError(f"{at}: type must be text or chat, got {kind!r}")
            config = raw.get("config") or {}
            if not isinstance(config, dict):
                raise PromptError(f"{at}: 'config' must be a mapping")
            deleted_at = raw.get("deleted_at")
            versions.append(
                VersionDoc(
                    version=number,
                    kind=kind,
                    template=_field(raw, "template", at, (str, list)),
                    config=config,
                    message=_field(raw, "message", at, str),
                    author=_field(raw, "author", at, str),
                    created_at=_time(raw.get("created_at"), f"{at} created_at"),
                    sha256=str(raw.get("sha256") or ""),
                    deleted_at=_time(deleted_at, f"{at} deleted_at") if deleted_at else None,
                    deleted_by=str(raw.get("deleted_by") or "") or None,
                )
            )
        tags = item.get("tags") or []
        if not isinstance(tags, list):
            raise PromptError(f"{where}: 'tags' must be a list")
        docs.append(
            PromptDoc(
                name=name,
                description=str(item.get("description") or ""),
                tags=[str(t) for t in tags],
                created_by=str(item.get("created_by") or ""),
                created_at=_time(item.get("created_at"), f"{where} created_at"),
                labels={str(k): v for k, v in labels.items()},
                versions=versions,
            )
        )
    return docs


def read_paths(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(source, text) for each file; a directory contributes its *.yaml / *.yml files."""
    out = []
    for path in paths:
        if path.is_dir():
            files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not files:
                raise PromptError(f"{path} has no .yaml or .yml files")
        elif path.is_file():
            files = [path]
        else:
            raise PromptError(f"{path} does not exist")
        for file in files:
            try:
                out.append((str(file), file.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                raise PromptError(f"cannot read {file}: {exc}") from None
    return out


def import_paths(store: PromptStore, paths: Iterable[Path], *, actor: str) -> Any:
    """Import every file, all or nothing."""
    docs: list[PromptDoc] = []
    sources = []
    for source, text in read_paths(paths):
        docs.extend(parse_docs(text, source))
        sources.append(Path(source).name)
    return store.import_docs(docs, actor=actor, source=", ".join(sources))
