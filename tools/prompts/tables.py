"""Tables of the prompt registry (migration: prompts_0001).

- `prompt`: one row per prompt. `revision` goes up on every change that can alter what is
  served (label move, new or deleted version, deleted prompt), so a server can revalidate its
  cache with one indexed read, whichever process made the change.
- `prompt_version`: immutable content. Rows are never updated except for a soft delete.
- `prompt_label`: where each label points. `revision` makes moves compare-and-set.
- `prompt_label_change`: the history of every label move (who, from, to, when, why).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class Prompt(SQLModel, table=True):
    __tablename__ = "prompt"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)
    revision: int = Field(default=0)
    deleted_at: datetime | None = None
    deleted_by: str | None = Field(default=None, max_length=200)


class PromptVersion(SQLModel, table=True):
    __tablename__ = "prompt_version"
    __table_args__ = (
        UniqueConstraint("prompt_id", "version", name="uq_prompt_version"),
        UniqueConstraint("prompt_id", "sha256", name="uq_prompt_version_content"),
    )

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    version: int
    kind: str = Field(max_length=8)  # text | chat
    template: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    messages: list[dict[str, str]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    variables: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    message: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None
    deleted_by: str | None = Field(default=None, max_length=200)


class PromptLabel(SQLModel, table=True):
    __tablename__ = "prompt_label"
    __table_args__ = (UniqueConstraint("prompt_id", "label", name="uq_prompt_label"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    label: str = Field(max_length=255)
    version: int
    revision: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=200)


class PromptLabelChange(SQLModel, table=True):
    __tablename__ = "prompt_label_change"

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    label: str = Field(max_length=255)
    from_version: int | None = None
    to_version: int | None = None
    kind: str = Field(max_length=16)  # set | rollback | seed | import | removed
    actor: str = Field(max_length=200)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    at: datetime = Field(default_factory=utcnow, index=True)
