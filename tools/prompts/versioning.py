"""Creating versions: a new immutable version, and the prompt itself on its first one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from core.clock import iso, utcnow
from tools.prompts.errors import PromptConflict
from tools.prompts.queries import PromptQueries
from tools.prompts.store_base import ATTEMPTS, busy, check_tags
from tools.prompts.tables import Prompt, PromptVersion
from tools.prompts.templates import check_message, check_name, content_hash, validate
from tools.prompts.views import VersionView


class VersionCreation(PromptQueries):
    """`create_version`: validates, numbers and stores a version; moves no label."""

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
        tag_list = check_tags(tags) if tags is not None else None
        digest = content_hash(kind, content, cfg)
        created = False
        for _attempt in range(ATTEMPTS):
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
        raise busy(name)
