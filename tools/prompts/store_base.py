"""What every part of the prompt store shares: its engine and change listeners, the row-level
reads (a prompt, its versions, its labels), resolving a reference to a version row, and the
compare-and-set of a prompt's revision that every change goes through (see store.py)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import iso
from tools.prompts.errors import PromptConflict, PromptError, PromptNotFound
from tools.prompts.tables import Prompt, PromptLabel, PromptVersion
from tools.prompts.templates import DEFAULT_MAX_CHARS, Template
from tools.prompts.views import LATEST, VersionView

ATTEMPTS = 8  # compare-and-set rounds before a change gives up as "busy"
MAX_TAGS = 20


def template_of(row: PromptVersion) -> Template:
    """The stored content: text, or the list of chat messages."""
    return row.template if row.kind == "text" else list(row.messages or [])  # type: ignore[return-value]


def busy(name: str) -> PromptConflict:
    return PromptConflict(f"{name} is being changed by others right now; try again")


@dataclass(frozen=True)
class Loaded:
    """A prompt with all its versions (oldest first) and its labels, read in one session."""

    prompt: Prompt
    rows: list[PromptVersion]
    labels: dict[str, PromptLabel]

    @property
    def latest(self) -> PromptVersion | None:
        """The newest version that is not deleted."""
        return next((r for r in reversed(self.rows) if r.deleted_at is None), None)

    def view(self, row: PromptVersion) -> VersionView:
        names = sorted(label for label, lr in self.labels.items() if lr.version == row.version)
        latest = self.latest
        if latest is not None and latest.version == row.version:
            names.append(LATEST)
        return VersionView(
            name=self.prompt.name,
            version=row.version,
            kind=row.kind,  # type: ignore[arg-type]
            template=template_of(row),
            variables=tuple(row.variables),
            config=dict(row.config),
            message=row.message,
            author=row.author,
            sha256=row.sha256,
            created_at=row.created_at,
            labels=tuple(names),
            deleted=row.deleted_at is not None,
        )


def _suggest(name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if close:
        return f"; did you mean {', '.join(close)}?"
    if not names:
        return "; no prompts are registered yet"
    shown = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
    return f"; known prompts: {shown}"


def check_tags(tags: list[str]) -> list[str]:
    if not isinstance(tags, list | tuple):
        raise PromptError("tags must be a list of short words")
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip() or len(tag.strip()) > 50:
            raise PromptError(f"invalid tag {tag!r}: tags are 1-50 characters of text")
        if tag.strip() not in out:
            out.append(tag.strip())
    if len(out) > MAX_TAGS:
        raise PromptError(f"too many tags: {len(out)} (at most {MAX_TAGS})")
    return out


class StoreBase:
    """The engine, the change listeners and the helpers every part of the store uses."""

    def __init__(self, engine: Engine, *, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.engine = engine
        self.max_chars = max_chars
        self._listeners: list[Callable[[str], None]] = []

    # ------------------------------------------------------------------ plumbing
    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Call `listener(name)` after every committed change to a prompt (cache eviction)."""
        self._listeners.append(listener)

    def _changed(self, name: str) -> None:
        for listener in self._listeners:
            listener(name)

    def _prompt(self, db: Session, name: str) -> Prompt:
        row = db.exec(select(Prompt).where(Prompt.name == name)).first()
        if row is None or row.deleted_at is not None:
            known = db.exec(select(Prompt.name).where(col(Prompt.deleted_at).is_(None))).all()
            gone = " (it was deleted)" if row is not None else ""
            raise PromptNotFound(f"unknown prompt {name!r}{gone}" + _suggest(name, known))
        return row

    @staticmethod
    def _all_versions(db: Session, prompt: Prompt) -> list[PromptVersion]:
        return list(
            db.exec(
                select(PromptVersion)
                .where(PromptVersion.prompt_id == prompt.id)
                .order_by(col(PromptVersion.version))
            )
        )

    @staticmethod
    def _labels(db: Session, prompt: Prompt) -> dict[str, PromptLabel]:
        rows = db.exec(select(PromptLabel).where(PromptLabel.prompt_id == prompt.id)).all()
        return {r.label: r for r in rows}

    def _load(self, db: Session, name: str) -> Loaded:
        prompt = self._prompt(db, name)
        return Loaded(prompt, self._all_versions(db, prompt), self._labels(db, prompt))

    def _bump(self, db: Session, prompt: Prompt, now: datetime, **values: Any) -> bool:
        """Compare-and-set the prompt's revision (setting `values` too); False means someone
        changed it first."""
        result = db.execute(
            update(Prompt)
            .where(col(Prompt.id) == prompt.id)
            .where(col(Prompt.revision) == prompt.revision)
            .where(col(Prompt.deleted_at).is_(None))
            .values(revision=prompt.revision + 1, updated_at=now, **values)
        )
        return cast("CursorResult[Any]", result).rowcount == 1

    def _resolve(self, loaded: Loaded, ref: int | str) -> PromptVersion:
        prompt, rows, labels = loaded.prompt, loaded.rows, loaded.labels
        if isinstance(ref, int):
            for row in rows:
                if row.version == ref:
                    if row.deleted_at is not None:
                        raise PromptNotFound(
                            f"{prompt.name} v{ref} was deleted on {iso(row.deleted_at)} "
                            f"by {row.deleted_by}"
                        )
                    return row
            live = [r.version for r in rows if r.deleted_at is None]
            have = f"v1..v{max(live)}" if live else "none"
            raise PromptNotFound(f"{prompt.name} has no version {ref} (versions: {have})")
        if ref == LATEST:
            latest = loaded.latest
            if latest is None:
                raise PromptNotFound(f"{prompt.name} has no versions")
            return latest
        holder = labels.get(ref)
        if holder is None:
            known = ", ".join([*sorted(labels), LATEST])
            raise PromptNotFound(f"{prompt.name} has no label {ref!r} (labels: {known})")
        return self._resolve(loaded, holder.version)
