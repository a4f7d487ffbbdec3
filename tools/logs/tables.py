"""The `log_source_state` table: per followed log file, where reading stopped, its template
parser and each template's history (JSON), so a restart neither re-reads nor re-learns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class LogSourceState(SQLModel, table=True):
    __tablename__ = "log_source_state"

    source: str = Field(primary_key=True, max_length=1000)
    inode: int = Field(default=0, sa_type=BigInteger)
    read_offset: int = Field(default=0, sa_type=BigInteger)
    head: str = Field(default="", max_length=64)  # digest of the first bytes (truncation)
    windows: int = 0  # checks that read this source
    state: str = Field(sa_column=Column(Text, nullable=False))  # {"drain": ..., "stats": ...}
    updated_at: datetime = Field(default_factory=utcnow)
