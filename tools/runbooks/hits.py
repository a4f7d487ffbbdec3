"""What a runbook search returns: `Hit` (one runbook by its best section) and the error of a
bad search or ingest request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import Invalid
from tools.injection import warning


class RunbookError(Invalid, ValueError):
    """A bad search or ingest request; the message names the bad value and what is allowed."""


@dataclass
class Hit:
    """One runbook, represented by its best-matching section."""

    source: str  # "runbooks/host-disk-full.md": root folder name + path inside it
    title: str
    section: str  # "Mitigation > Free space"
    score: float  # cosine similarity of the best passage; 1.0 when the alert name matched
    text: str  # the section's markdown
    path: str = ""  # absolute path of the file when it was ingested
    doc_id: str = ""
    chunk_id: str = ""
    alerts: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    severity: str = ""
    match: str = "text"  # "alert" (named in the query or asked for) or "text"
    coverage: float = 0.0  # share of the query's (IDF-weighted) words found in the section
    strong: bool = True  # alert match, similarity >= floor, or coverage >= LEXICAL_STRONG
    # The fused rank score relative to the best-ranked runbook (1.0 for it and for a runbook
    # whose alert the query names; 0.0 for one matched by neither ranking). Hits are ordered
    # by this, not by `score`: a runbook can rank first with a lower similarity.
    relevance: float = 0.0
    # why the section was flagged at ingest as holding instruction-like text ('' when not):
    # it is quoted as data, with a warning, never as steps to follow (tools.injection)
    flagged: str = ""

    @property
    def warning(self) -> str | None:
        """The warning to show with this section's text, or None when it was not flagged."""
        return warning(self.flagged, "this runbook text") if self.flagged else None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "score": round(float(self.score), 4),
            "relevance": round(float(self.relevance), 4),
            "text": self.text,
        }
        if self.flagged:
            data["warning"] = self.warning
        return data

    @property
    def citation(self) -> str:
        return f"{self.title} — {self.section} ({self.source})"
