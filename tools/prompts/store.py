"""The prompt registry service: every operation on prompts, versions and labels.

Concurrency: every change to a prompt (new version, label move, delete) first bumps the
prompt row's `revision` with a compare-and-set UPDATE (`... WHERE revision = <read>`). The
change that loses the race rolls back, re-reads and re-checks its preconditions. A label move
always carries the version it expects the label to hold (given by the preview, or pinned at
the first read), so of two concurrent moves of one label exactly one wins; the other is
refused with a clear message and changes nothing. The same `revision` lets servers revalidate
their caches with one indexed read (see `serving.py`).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tools.clock import iso, utcnow
from tools.prompts.diffing import PromptDiff, Side, diff_versions
from tools.prompts.errors import PromptConflict, PromptError, PromptNotFound
from tools.prompts.tables import Prompt, PromptLabel, PromptLabelChange, PromptVersion
from tools.prompts.templates import (
    DEFAULT_MAX_CHARS,
    Kind,
    Template,
    check_label,
    check_message,
    check_name,
    content_hash,
    parse_ref,
    render,
    validate,
)

log = logging.getLogger(__name__)

PRODUCTION = "production"
LATEST = "latest"
_ATTEMPTS = 8
MAX_TAGS = 20


@dataclass(frozen=True)
class VersionView:
    """One immutable version as people and applications see it."""

    name: str
    version: int
    kind: Kind
    template: Template
    variables: tuple[str, ...]
    config: dict[str, Any]
    message: str
    author: str
    sha256: str
    created_at: datetime
    labels: tuple[str, ...] = ()
    deleted: bool = False

    def render(self, values: Mapping[str, Any]) -> Template:
        return render(self.kind, self.template, list(self.variables), values)

    def side(self, ref: str) -> Side:
        return Side(
            self.name, self.version, ref, self.kind, self.template, self.config, self.sha256
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "type": self.kind,
            "template": self.template,
            "variables": list(self.variables),
            "config": self.config,
            "message": self.message,
            "author": self.author,
            "sha256": self.sha256,
            "created_at": iso(self.created_at),
            "labels": list(self.labels),
            "deleted": self.deleted,
        }


@dataclass(frozen=True)
class PromptSummary:
    name: str
    description: str
    tags: tuple[str, ...]
    versions: int
    latest: int | None
    labels: dict[str, int]
    updated_at: datetime
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "tags": list(self.tags),
            "versions": self.versions,
            "latest": self.latest,
            "labels": dict(self.labels),
            "updated_at": iso(self.updated_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class LabelChange:
    name: str
    label: str
    from_version: int | None
    to_version: int | None
    kind: str
    actor: str
    reason: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "kind": self.kind,
            "actor": self.actor,
            "reason": self.reason,
            "at": iso(self.at),
        }


@dataclass(frozen=True)
class LabelPlan:
    """What a label move would do: the dry run an approver reads."""

    name: str
    label: str
    current: int | None  # the version the label holds now (None: the label does not exist)
    target: int
    rollback: bool
    diff: PromptDiff | None  # target against the current holder (None for a new label)

    def summary(self) -> str:
        what = "Roll back" if self.rollback else "Move"
        if self.current is None:
            return f"Create label {self.label} of {self.name} on v{self.target} (new label)"
        return f"{what} {self.label} of {self.name} from v{self.current} to v{self.target}"


@dataclass
class VersionDoc:
    """A version as exported to (and imported from) a file."""

    version: int
    kind: Kind
    template: Template
    config: dict[str, Any]
    message: str
    author: str
    created_at: datetime
    sha256: str
    variables: list[str] = field(default_factory=list)
    deleted_at: datetime | None = None
    deleted_by: str | None = None


@dataclass
class PromptDoc:
    """A whole prompt as exported to (and imported from) a file."""

    name: str
    description: str
    tags: list[str]
    created_by: str
    created_at: datetime
    labels: dict[str, int]
    versions: list[VersionDoc]


@dataclass
class ImportReport:
    prompts_created: list[str] = field(default_factory=list)
    versions_added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.prompts_created:
            out.append("created: " + ", ".join(self.prompts_created))
        if self.versions_added:
            out.append("new versions: " + ", ".join(self.versions_added))
        if self.unchanged:
            out.append("already up to date: " + ", ".join(self.unchanged))
        out.extend(self.notes)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompts_created": self.prompts_created,
            "versions_added": self.versions_added,
            "unchanged": self.unchanged,
            "notes": self.notes,
        }


def _template(row: PromptVersion) -> Template:
    """The stored content: text, or the list of chat messages."""
    return row.template if row.kind == "text" else list(row.messages or [])  # type: ignore[return-value]


def _busy(name: str) -> PromptConflict:
    return PromptConflict(f"{name} is being changed by others right now; try again")


@dataclass(frozen=True)
class _Loaded:
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
            template=_template(row),
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


class PromptStore:
    """All operations of the prompt registry, on one SQLAlchemy engine."""

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

    def _load(self, db: Session, name: str) -> _Loaded:
        prompt = self._prompt(db, name)
        return _Loaded(prompt, self._all_versions(db, prompt), self._labels(db, prompt))

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
        return result.rowcount == 1

    # ------------------------------------------------------------------ reads
    def names(self) -> tuple[str, ...]:
        with self._session() as db:
            rows = db.exec(
                select(Prompt.name)
                .where(col(Prompt.deleted_at).is_(None))
                .order_by(col(Prompt.name))
            ).all()
        return tuple(rows)

    def label_names(self) -> tuple[str, ...]:
        """Every label name in use (for the offline planner's vocabulary)."""
        with self._session() as db:
            rows = db.exec(select(PromptLabel.label).distinct()).all()
        return tuple(sorted(rows))

    def list_prompts(self, tag: str | None = None) -> list[PromptSummary]:
        with self._session() as db:
            prompts = list(
                db.exec(
                    select(Prompt)
                    .where(col(Prompt.deleted_at).is_(None))
                    .order_by(col(Prompt.name))
                )
            )
            versions = db.exec(
                select(PromptVersion.prompt_id, PromptVersion.version).where(
                    col(PromptVersion.deleted_at).is_(None)
                )
            ).all()
            labels = db.exec(select(PromptLabel)).all()
        counts: dict[int, list[int]] = {}
        for prompt_id, number in versions:
            counts.setdefault(prompt_id, []).append(number)
        by_prompt: dict[int, dict[str, int]] = {}
        for row in labels:
            by_prompt.setdefault(row.prompt_id, {})[row.label] = row.version
        out = []
        for p in prompts:
            if tag is not None and tag not in p.tags:
                continue
            numbers = counts.get(p.id or 0, [])
            out.append(
                PromptSummary(
                    name=p.name,
                    description=p.description,
                    tags=tuple(p.tags),
                    versions=len(numbers),
                    latest=max(numbers) if numbers else None,
                    labels=dict(sorted(by_prompt.get(p.id or 0, {}).items())),
                    updated_at=p.updated_at,
                    created_by=p.created_by,
                )
            )
        return out

    def summary(self, name: str) -> PromptSummary:
        check_name(name)
        for item in self.list_prompts():
            if item.name == name:
                return item
        with self._session() as db:
            self._prompt(db, name)  # raises the helpful not-found error
        raise PromptNotFound(f"unknown prompt {name!r}")

    def versions(self, name: str, include_deleted: bool = False) -> list[VersionView]:
        with self._session() as db:
            loaded = self._load(db, check_name(name))
        return [loaded.view(r) for r in loaded.rows if include_deleted or r.deleted_at is None]

    def _resolve(self, loaded: _Loaded, ref: int | str) -> PromptVersion:
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

    def resolve(self, name: str, ref: str | int) -> VersionView:
        """A version by reference: 'v3', '3', 3, 'latest' or a label such as 'production'."""
        parsed = parse_ref(ref)
        with self._session() as db:
            loaded = self._load(db, check_name(name))
        return loaded.view(self._resolve(loaded, parsed))

    def get(self, name: str, version: int | None = None, label: str | None = None) -> VersionView:
        """By version, or by label; with neither: `production` if set, else `latest`."""
        if version is not None and label is not None:
            raise PromptError("give a version or a label, not both")
        if version is not None:
            return self.resolve(name, int(version))
        if label is not None:
            return self.resolve(name, label)
        with self._session() as db:
            loaded = self._load(db, check_name(name))
        ref = PRODUCTION if PRODUCTION in loaded.labels else LATEST
        return loaded.view(self._resolve(loaded, ref))

    def render(
        self,
        name: str,
        values: Mapping[str, Any],
        version: int | None = None,
        label: str | None = None,
    ) -> Template:
        return self.get(name, version, label).render(values)

    def diff(self, name: str, old: str | int, new: str | int, context: int = 3) -> PromptDiff:
        a = self.resolve(name, old)
        b = self.resolve(name, new)
        return diff_versions(a.side(str(old)), b.side(str(new)), context)

    def history(self, name: str, label: str | None = None, limit: int = 50) -> list[LabelChange]:
        """Label moves, newest first."""
        with self._session() as db:
            prompt = self._prompt(db, check_name(name))
            query = select(PromptLabelChange).where(PromptLabelChange.prompt_id == prompt.id)
            if label is not None:
                query = query.where(PromptLabelChange.label == check_label(label))
            rows = db.exec(query.order_by(col(PromptLabelChange.id).desc()).limit(limit)).all()
        return [
            LabelChange(
                prompt.name, r.label, r.from_version, r.to_version, r.kind, r.actor, r.reason, r.at
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ versions
    def create_version(
        self,
        name: str,
        template: Any,
        message: str,
        *,
        author: str,
        config: Mapping[str, Any] | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
    ) -> tuple[VersionView, bool]:
        """Add an immutable version (creating the prompt on first use). Moves no label.

        Returns (the version, whether the prompt was created). Identical content to an
        existing version is refused with that version's number.
        """
        check_name(name)
        kind, content, variables, cfg = validate(template, config, self.max_chars)
        text = check_message(message)
        tag_list = _check_tags(tags) if tags is not None else None
        digest = content_hash(kind, content, cfg)
        created = False
        for _attempt in range(_ATTEMPTS):
            now = utcnow()
            with self._session() as db:
                prompt = db.exec(select(Prompt).where(Prompt.name == name)).first()
                if prompt is None:
                    prompt = Prompt(
                        name=name,
                        description=(description or "").strip(),
                        tags=tag_list or [],
                        created_by=author,
                        created_at=now,
                        updated_at=now,
                    )
                    db.add(prompt)
                    try:
                        db.commit()
                    except IntegrityError:
                        db.rollback()
                        continue  # created by someone else at the same moment: use theirs
                    created = True
                if prompt.deleted_at is not None:
                    raise PromptConflict(
                        f"prompt {name!r} was deleted on {iso(prompt.deleted_at)} by "
                        f"{prompt.deleted_by}; its name cannot be reused"
                    )
                same = db.exec(
                    select(PromptVersion)
                    .where(PromptVersion.prompt_id == prompt.id)
                    .where(PromptVersion.sha256 == digest)
                ).first()
                if same is not None:
                    note = " (deleted)" if same.deleted_at is not None else ""
                    raise PromptConflict(
                        f"{name} v{same.version}{note} already has exactly this template and "
                        "config; nothing was created"
                    )
                top = db.exec(
                    select(func.max(PromptVersion.version)).where(
                        PromptVersion.prompt_id == prompt.id
                    )
                ).one()
                number = (top or 0) + 1
                if not self._bump(db, prompt, now):
                    db.rollback()
                    continue
                values: dict[str, Any] = {}
                if description is not None:
                    values["description"] = description.strip()
                if tag_list is not None:
                    values["tags"] = tag_list
                if values:
                    db.execute(update(Prompt).where(col(Prompt.id) == prompt.id).values(**values))
                row = PromptVersion(
                    prompt_id=prompt.id,  # type: ignore[arg-type]
                    version=number,
                    kind=kind,
                    template=content if kind == "text" else None,  # type: ignore[arg-type]
                    messages=content if kind == "chat" else None,  # type: ignore[arg-type]
                    variables=variables,
                    config=cfg,
                    message=text,
                    author=author,
                    sha256=digest,
                    created_at=now,
                )
                db.add(row)
                try:
                    db.commit()
                except IntegrityError:
                    db.rollback()
                    continue  # the number or the content was taken concurrently: re-check
            self._changed(name)
            return self.resolve(name, number), created
        raise _busy(name)

    def delete_version(self, name: str, version: int, *, actor: str) -> list[str]:
        """Soft-delete a version. Refused for the holder of `production`; other labels on it
        are removed (and the removal recorded). Returns the labels removed."""
        for _attempt in range(_ATTEMPTS):
            now = utcnow()
            with self._session() as db:
                loaded = self._load(db, check_name(name))
                prompt, labels = loaded.prompt, loaded.labels
                row = self._resolve(loaded, int(version))
                held = sorted(lb for lb, r in labels.items() if r.version == row.version)
                if PRODUCTION in held:
                    raise PromptConflict(
                        f"{name} v{row.version} holds production and cannot be deleted; move "
                        "production to another version first"
                    )
                if not self._bump(db, prompt, now):
                    db.rollback()
                    continue
                db.execute(
                    update(PromptVersion)
                    .where(col(PromptVersion.id) == row.id)
                    .values(deleted_at=now, deleted_by=actor)
                )
                for label in held:
                    db.delete(labels[label])
                    db.add(
                        PromptLabelChange(
                            prompt_id=prompt.id,  # type: ignore[arg-type]
                            label=label,
                            from_version=row.version,
                            to_version=None,
                            kind="removed",
                            actor=actor,
                            reason=f"v{row.version} was deleted",
                            at=now,
                        )
                    )
                db.commit()
            self._changed(name)
            return held
        raise _busy(name)

    def delete_prompt(self, name: str, *, actor: str) -> None:
        """Soft-delete a whole prompt. Refused while it has a `production` label."""
        for _attempt in range(_ATTEMPTS):
            now = utcnow()
            with self._session() as db:
                prompt = self._prompt(db, check_name(name))
                labels = self._labels(db, prompt)
                if PRODUCTION in labels:
                    raise PromptConflict(
                        f"{name} has a production label (v{labels[PRODUCTION].version}); a "
                        "prompt in production cannot be deleted"
                    )
                if not self._bump(db, prompt, now, deleted_at=now, deleted_by=actor):
                    db.rollback()
                    continue
                db.commit()
            self._changed(name)
            return
        raise _busy(name)

    # ------------------------------------------------------------------ labels
    @staticmethod
    def _previous_holder(
        changes: list[PromptLabelChange], current: int | None, live: set[int]
    ) -> int | None:
        """Replay the label's history as a stack of earlier holders; rollbacks pop it."""
        stack: list[int] = []
        for change in changes:  # oldest first
            if change.kind == "removed":
                stack.clear()
            elif change.kind == "rollback":
                while stack:
                    if stack.pop() == change.to_version:
                        break
            elif change.from_version is not None:
                stack.append(change.from_version)
        while stack:
            candidate = stack.pop()
            if candidate != current and candidate in live:
                return candidate
        return None

    def _plan(
        self, db: Session, loaded: _Loaded, label: str, version: int | None
    ) -> tuple[PromptVersion, bool]:
        """(the version `label` would move to, whether that is a rollback); PromptError when
        the move is not possible."""
        prompt, rows, labels = loaded.prompt, loaded.rows, loaded.labels
        name = prompt.name
        holder = labels.get(label)
        rollback = version is None
        if rollback:
            if holder is None:
                known = ", ".join(sorted(labels)) or "none"
                raise PromptNotFound(
                    f"{name} has no label {label!r} to roll back (labels: {known})"
                )
            changes = list(
                db.exec(
                    select(PromptLabelChange)
                    .where(PromptLabelChange.prompt_id == prompt.id)
                    .where(PromptLabelChange.label == label)
                    .order_by(col(PromptLabelChange.id))
                )
            )
            live = {r.version for r in rows if r.deleted_at is None}
            previous = self._previous_holder(changes, holder.version, live)
            if previous is None:
                why = (
                    f"it has only ever held v{holder.version}"
                    if len(changes) <= 1
                    else "its earlier moves were already rolled back, or their versions deleted"
                )
                raise PromptConflict(
                    f"{label} of {name} has no earlier version to roll back to ({why}); "
                    "name a version to move it to instead"
                )
            version = previous
        target = self._resolve(loaded, int(version))  # type: ignore[arg-type]
        if holder is not None and holder.version == target.version:
            raise PromptConflict(f"{label} of {name} already points to v{target.version}")
        return target, rollback

    def plan_label(self, name: str, label: str, version: int | None = None) -> LabelPlan:
        """The dry run of a label move: current holder, target, and the diff between them."""
        label = check_label(label)
        with self._session() as db:
            loaded = self._load(db, check_name(name))
            target, rollback = self._plan(db, loaded, label, version)
        holder = loaded.labels.get(label)
        current_row = None
        if holder is not None:
            current_row = next((r for r in loaded.rows if r.version == holder.version), None)
        diff = None
        if current_row is not None:
            diff = diff_versions(
                loaded.view(current_row).side(label),
                loaded.view(target).side(f"v{target.version}"),
            )
        return LabelPlan(
            name=loaded.prompt.name,
            label=label,
            current=holder.version if holder else None,
            target=target.version,
            rollback=rollback,
            diff=diff,
        )

    def set_label(
        self,
        name: str,
        label: str,
        version: int | None = None,
        *,
        actor: str,
        expected_version: int | None = None,
        reason: str = "",
        kind: str | None = None,
    ) -> LabelChange:
        """Move (or create) a label; `version=None` rolls it back to its previous holder.

        `expected_version` is the version the label held when the move was previewed (0: the
        label did not exist). If the label holds anything else now, the move is refused and
        nothing changes. Without it, the holder read first is expected, so of two concurrent
        moves of one label exactly one wins.
        """
        label = check_label(label)
        check_name(name)
        if expected_version is not None and expected_version < 0:
            raise PromptError("expected_version must be 0 (no label yet) or a version number")
        expected = expected_version
        for _attempt in range(_ATTEMPTS):
            now = utcnow()
            with self._session() as db:
                loaded = self._load(db, name)
                prompt, holder = loaded.prompt, loaded.labels.get(label)
                current = holder.version if holder else 0
                if expected is None:
                    expected = current
                if current != expected:
                    was = f"v{expected}" if expected else "nothing"
                    now_at = f"v{current}" if current else "nothing (it was removed)"
                    raise PromptConflict(
                        f"{label} of {name} has changed since this was requested: it pointed to "
                        f"{was} then and points to {now_at} now. Nothing was changed; ask again "
                        "to see the new diff"
                    )
                target, rollback = self._plan(db, loaded, label, version)
                from_version = holder.version if holder is not None else None
                if not self._bump(db, prompt, now):
                    db.rollback()
                    continue
                if holder is None:
                    db.add(
                        PromptLabel(
                            prompt_id=prompt.id,  # type: ignore[arg-type]
                            label=label,
                            version=target.version,
                            revision=1,
                            updated_at=now,
                            updated_by=actor,
                        )
                    )
                else:
                    moved = db.execute(
                        update(PromptLabel)
                        .where(col(PromptLabel.id) == holder.id)
                        .where(col(PromptLabel.revision) == holder.revision)
                        .values(
                            version=target.version,
                            revision=holder.revision + 1,
                            updated_at=now,
                            updated_by=actor,
                        )
                    )
                    if moved.rowcount != 1:
                        db.rollback()
                        continue
                change = PromptLabelChange(
                    prompt_id=prompt.id,  # type: ignore[arg-type]
                    label=label,
                    from_version=from_version,
                    to_version=target.version,
                    kind=kind or ("rollback" if rollback else "set"),
                    actor=actor,
                    reason=(reason or "").strip()[:2000],
                    at=now,
                )
                db.add(change)
                try:
                    db.commit()
                except IntegrityError:
                    db.rollback()
                    continue  # the label was created concurrently: re-read and re-check
            self._changed(name)
            log.info(
                "prompt label %s of %s: %s -> v%s by %s",
                label,
                name,
                f"v{change.from_version}" if change.from_version else "new",
                change.to_version,
                actor,
            )
            return LabelChange(
                name,
                label,
                change.from_version,
                change.to_version,
                change.kind,
                actor,
                change.reason,
                now,
            )
        raise _busy(name)

    # ------------------------------------------------------------------ export / import
    def export_docs(self, names: Iterable[str] | None = None) -> list[PromptDoc]:
        """Every version (deleted ones marked), labels and metadata of the named prompts."""
        wanted = list(names) if names is not None else list(self.names())
        docs = []
        with self._session() as db:
            for name in wanted:
                loaded = self._load(db, check_name(name))
                prompt = loaded.prompt
                versions = [
                    VersionDoc(
                        version=r.version,
                        kind=r.kind,  # type: ignore[arg-type]
                        template=_template(r),
                        config=dict(r.config),
                        message=r.message,
                        author=r.author,
                        created_at=r.created_at,
                        sha256=r.sha256,
                        variables=list(r.variables),
                        deleted_at=r.deleted_at,
                        deleted_by=r.deleted_by,
                    )
                    for r in loaded.rows
                ]
                docs.append(
                    PromptDoc(
                        name=prompt.name,
                        description=prompt.description,
                        tags=list(prompt.tags),
                        created_by=prompt.created_by,
                        created_at=prompt.created_at,
                        labels={k: v.version for k, v in sorted(loaded.labels.items())},
                        versions=versions,
                    )
                )
        return docs

    def check_doc(self, doc: PromptDoc) -> PromptDoc:
        """Validate a prompt read from a file exactly as a new version would be validated."""
        where = f"prompt {doc.name!r}"
        check_name(doc.name)
        _check_tags(doc.tags)
        if not doc.versions:
            raise PromptError(f"{where} has no versions")
        numbers: set[int] = set()
        digests: dict[str, int] = {}
        for v in doc.versions:
            at = f"{where} v{v.version}"
            if not isinstance(v.version, int) or isinstance(v.version, bool) or v.version < 1:
                raise PromptError(f"{where}: version {v.version!r} must be a number from 1")
            if v.version in numbers:
                raise PromptError(f"{where}: version {v.version} appears twice")
            numbers.add(v.version)
            try:
                kind, content, variables, cfg = validate(v.template, v.config, self.max_chars)
                v.message = check_message(v.message)
            except PromptError as exc:
                raise PromptError(f"{at}: {exc}") from None
            if kind != v.kind:
                raise PromptError(f"{at}: type says {v.kind} but the template is {kind}")
            digest = content_hash(kind, content, cfg)
            if v.sha256 and v.sha256 != digest:
                raise PromptError(
                    f"{at}: sha256 does not match its content (was the template edited? "
                    "versions are immutable: add a new version instead)"
                )
            if digest in digests:
                raise PromptError(f"{at} has the same content as v{digests[digest]}")
            digests[digest] = v.version
            if not isinstance(v.author, str) or not v.author.strip() or len(v.author) > 200:
                raise PromptError(f"{at}: author must be 1-200 characters")
            v.template, v.config, v.sha256, v.variables = content, cfg, digest, variables
        live = {v.version for v in doc.versions if v.deleted_at is None}
        labels = {}
        for label, number in doc.labels.items():
            key = check_label(label)
            if number not in live:
                raise PromptError(
                    f"{where}: label {key} points to v{number}, which is not a version in the file"
                    " (or is deleted)"
                )
            labels[key] = number
        doc.labels = labels
        doc.versions.sort(key=lambda v: v.version)
        return doc

    def import_docs(
        self, docs: list[PromptDoc], *, actor: str, source: str, kind: str = "import"
    ) -> ImportReport:
        """Add prompts and versions from files, all or nothing.

        New prompts get their versions and labels as in the file. For existing prompts,
        versions already present must be identical (versions are immutable), new versions are
        appended with their numbers, authors and dates, and labels are never moved: moving a
        label needs an approval, so differences are reported instead.
        """
        seen: set[str] = set()
        for doc in docs:
            if doc.name in seen:
                raise PromptError(f"prompt {doc.name!r} appears twice in the import")
            seen.add(doc.name)
            self.check_doc(doc)
        report = ImportReport()
        now = utcnow()
        with self._session() as db:
            try:
                for doc in docs:
                    self._import_one(
                        db, doc, actor=actor, source=source, kind=kind, now=now, report=report
                    )
                db.commit()
            except IntegrityError as exc:
                db.rollback()
                raise PromptConflict(
                    "the registry changed while importing; nothing was imported, try again"
                ) from exc
        for doc in docs:
            self._changed(doc.name)
        return report

    def _import_one(
        self,
        db: Session,
        doc: PromptDoc,
        *,
        actor: str,
        source: str,
        kind: str,
        now: datetime,
        report: ImportReport,
    ) -> None:
        prompt = db.exec(select(Prompt).where(Prompt.name == doc.name)).first()
        if prompt is not None and prompt.deleted_at is not None:
            raise PromptConflict(f"prompt {doc.name!r} was deleted here; nothing was imported")
        new_prompt = prompt is None
        if prompt is None:
            prompt = Prompt(
                name=doc.name,
                description=doc.description,
                tags=list(doc.tags),
                created_by=doc.created_by or actor,
                created_at=doc.created_at,
                updated_at=now,
                revision=0,
            )
            db.add(prompt)
            db.flush()
            existing: dict[int, PromptVersion] = {}
        else:
            existing = {r.version: r for r in self._all_versions(db, prompt)}
        top = max(existing, default=0)
        by_digest = {r.sha256: r.version for r in existing.values()}
        added = []
        for v in doc.versions:
            have = existing.get(v.version)
            if have is not None:
                if have.sha256 != v.sha256:
                    raise PromptConflict(
                        f"{doc.name} v{v.version} differs from the registry's v{v.version}; "
                        "versions are immutable, so nothing was imported (give the new content "
                        "a new version number)"
                    )
                if (have.deleted_at is None) != (v.deleted_at is None):
                    state = "deleted" if have.deleted_at else "not deleted"
                    report.notes.append(f"{doc.name} v{v.version} is {state} here; left as it is")
                continue
            if v.version <= top:
                raise PromptConflict(
                    f"{doc.name} v{v.version} is not in the registry but v{top} is: new versions "
                    "must come after the newest one; nothing was imported"
                )
            if v.sha256 in by_digest:
                raise PromptConflict(
                    f"{doc.name} v{v.version} has the same content as the registry's "
                    f"v{by_digest[v.sha256]}; nothing was imported"
                )
            db.add(
                PromptVersion(
                    prompt_id=prompt.id,  # type: ignore[arg-type]
                    version=v.version,
                    kind=v.kind,
                    template=v.template if v.kind == "text" else None,  # type: ignore[arg-type]
                    messages=v.template if v.kind == "chat" else None,  # type: ignore[arg-type]
                    variables=v.variables,
                    config=v.config,
                    message=v.message,
                    author=v.author,
                    sha256=v.sha256,
                    created_at=v.created_at,
                    deleted_at=v.deleted_at,
                    deleted_by=v.deleted_by,
                )
            )
            added.append(f"{doc.name} v{v.version}")
        changed_meta = not new_prompt and (
            prompt.description != doc.description or list(prompt.tags) != list(doc.tags)
        )
        if new_prompt:
            db.flush()
            for label, number in sorted(doc.labels.items()):
                db.add(
                    PromptLabel(
                        prompt_id=prompt.id,  # type: ignore[arg-type]
                        label=label,
                        version=number,
                        revision=1,
                        updated_at=now,
                        updated_by=actor,
                    )
                )
                db.add(
                    PromptLabelChange(
                        prompt_id=prompt.id,  # type: ignore[arg-type]
                        label=label,
                        from_version=None,
                        to_version=number,
                        kind=kind,
                        actor=actor,
                        reason=f"{'seeded' if kind == 'seed' else 'imported'} from {source}",
                        at=now,
                    )
                )
            report.prompts_created.append(doc.name)
        else:
            here = {k: v.version for k, v in self._labels(db, prompt).items()}
            for label in sorted(set(here) | set(doc.labels)):
                if here.get(label) != doc.labels.get(label):
                    mine = f"v{here[label]}" if label in here else "not set"
                    theirs = f"v{doc.labels[label]}" if label in doc.labels else "not set"
                    report.notes.append(
                        f"{doc.name}: label {label} is {mine} here and {theirs} in the file; "
                        "not moved (label moves need an approval: opsbot prompts label)"
                    )
            if added or changed_meta:
                if not self._bump(db, prompt, now):
                    raise PromptConflict(
                        f"{doc.name} changed while importing; nothing was imported, try again"
                    )
                if changed_meta:
                    db.execute(
                        update(Prompt)
                        .where(col(Prompt.id) == prompt.id)
                        .values(description=doc.description, tags=list(doc.tags))
                    )
            if not added and not changed_meta:
                report.unchanged.append(doc.name)
        if new_prompt:
            db.execute(update(Prompt).where(col(Prompt.id) == prompt.id).values(revision=1))
        report.versions_added.extend(added if not new_prompt else [])


def _check_tags(tags: list[str]) -> list[str]:
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
