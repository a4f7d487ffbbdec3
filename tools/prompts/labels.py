"""Labels: the plan of a move (the dry run an approver reads) and the move itself, with its
rollback to the previous holder and the recorded history."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from tools.prompts.diffing import diff_versions
from tools.prompts.errors import PromptConflict, PromptError, PromptNotFound
from tools.prompts.store_base import ATTEMPTS, Loaded, StoreBase, busy
from tools.prompts.tables import Prompt, PromptLabel, PromptLabelChange, PromptVersion
from tools.prompts.templates import check_label, check_name
from tools.prompts.views import LabelChange, LabelPlan

log = logging.getLogger("tools.prompts.store")  # the store's logger, as before the split


class LabelMoves(StoreBase):
    """`plan_label` and `set_label`."""

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
        self, db: Session, loaded: Loaded, label: str, version: int | None
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
        for _attempt in range(ATTEMPTS):
            now = utcnow()
            with self._session() as db:
                loaded = self._load(db, name)
                holder = loaded.labels.get(label)
                current = holder.version if holder else 0
                expected = current if expected is None else expected
                _check_unchanged(name, label, expected, current)
                target, rollback = self._plan(db, loaded, label, version)
                # read before the move: the UPDATE also changes the loaded `holder` row
                from_version = holder.version if holder is not None else None
                if not self._move(db, loaded.prompt, holder, label, target.version, now, actor):
                    db.rollback()
                    continue
                change = PromptLabelChange(
                    prompt_id=loaded.prompt.id,  # type: ignore[arg-type]
                    label=label,
                    from_version=from_version,
                    to_version=target.version,
                    kind=kind or ("rollback" if rollback else "set"),
                    actor=actor,
                    reason=(reason or "").strip()[:2000],
                    at=now,
                )
                db.add(change)
                if not _committed(db):
                    continue  # the label was created concurrently: re-read and re-check
            return self._announce(name, change)
        raise busy(name)

    def _move(
        self,
        db: Session,
        prompt: Prompt,
        holder: PromptLabel | None,
        label: str,
        version: int,
        now: datetime,
        actor: str,
    ) -> bool:
        """Point `label` at `version` in this transaction: the prompt's revision bumped, the
        label created, or moved if it still has the revision read. False when another writer
        got there first (the caller rolls back and tries again)."""
        if not self._bump(db, prompt, now):
            return False
        if holder is None:
            db.add(
                PromptLabel(
                    prompt_id=prompt.id,  # type: ignore[arg-type]
                    label=label,
                    version=version,
                    revision=1,
                    updated_at=now,
                    updated_by=actor,
                )
            )
            return True
        moved = db.execute(
            update(PromptLabel)
            .where(col(PromptLabel.id) == holder.id)
            .where(col(PromptLabel.revision) == holder.revision)
            .values(version=version, revision=holder.revision + 1, updated_at=now, updated_by=actor)
        )
        return cast("CursorResult[Any]", moved).rowcount == 1

    def _announce(self, name: str, change: PromptLabelChange) -> LabelChange:
        """After the commit: tell the store's listeners, log the move, and return it."""
        self._changed(name)
        log.info(
            "prompt label %s of %s: %s -> v%s by %s",
            change.label,
            name,
            f"v{change.from_version}" if change.from_version else "new",
            change.to_version,
            change.actor,
        )
        return LabelChange(
            name,
            change.label,
            change.from_version,
            change.to_version,
            change.kind,
            change.actor,
            change.reason,
            change.at,
        )


def _check_unchanged(name: str, label: str, expected: int, current: int) -> None:
    """PromptConflict when the label no longer holds the version the move was asked for
    (0: no label)."""
    if current != expected:
        was = f"v{expected}" if expected else "nothing"
        now_at = f"v{current}" if current else "nothing (it was removed)"
        raise PromptConflict(
            f"{label} of {name} has changed since this was requested: it pointed to "
            f"{was} then and points to {now_at} now. Nothing was changed; ask again "
            "to see the new diff"
        )


def _committed(db: Session) -> bool:
    """Commit; False (rolled back) when a unique key says a concurrent writer won."""
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return False
    return True
