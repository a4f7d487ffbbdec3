"""Deleting: soft deletes of a version or of a whole prompt, never of what is in production."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from core.clock import utcnow
from tools.prompts.errors import PromptConflict
from tools.prompts.store_base import ATTEMPTS, StoreBase, busy
from tools.prompts.tables import PromptLabelChange, PromptVersion
from tools.prompts.templates import check_name
from tools.prompts.views import PRODUCTION


class Deletion(StoreBase):
    """`delete_version` and `delete_prompt`."""

    def delete_version(self, name: str, version: int, *, actor: str) -> list[str]:
        """Soft-delete a version. Refused for the holder of `production`; other labels on it
        are removed (and the removal recorded). Returns the labels removed."""
        for _attempt in range(ATTEMPTS):
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
        raise busy(name)

    def delete_prompt(self, name: str, *, actor: str) -> None:
        """Soft-delete a whole prompt. Refused while it has a `production` label."""
        for _attempt in range(ATTEMPTS):
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
        raise busy(name)
