"""Reads of the prompt registry: names, summaries, versions by reference, diffs, history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import col, select

from tools.prompts.diffing import PromptDiff, diff_versions
from tools.prompts.errors import PromptError, PromptNotFound
from tools.prompts.store_base import StoreBase
from tools.prompts.tables import Prompt, PromptLabel, PromptLabelChange, PromptVersion
from tools.prompts.templates import Template, check_label, check_name, parse_ref
from tools.prompts.views import LATEST, PRODUCTION, LabelChange, PromptSummary, VersionView


class PromptQueries(StoreBase):
    """Everything that reads and changes nothing."""

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
