"""The `search_runbooks` agent tool: runbook sections to quote and cite, or a plain "none".

The text is written for a model to quote from: per hit the title and section to cite, the
source file, its relevance (the fused rank score relative to the best hit, so the numbers fall
in the order the hits are listed) and the section's steps as a quote. When nothing clears the floor it
says so and lists the nearest sections as "not a match", so the agent tells the engineer
there is no runbook instead of presenting a guess as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, field_validator

from core.access import Access, Caller
from tools.base import OpsTool, ToolError, ToolResult
from tools.runbooks.client import ChromaUnavailable
from tools.runbooks.embedding import EmbeddingError
from tools.runbooks.hits import Hit, RunbookError
from tools.runbooks.index import RunbookIndex
from tools.runbooks.triage import mentioned_actions

QUOTE_CHARS = 900  # per hit: enough for the steps of one section, short enough for a prompt

DESCRIPTION = (
    "Search the team's runbooks (operational procedures) by symptom, question or alert name. "
    "Returns the best-matching sections with title, section, source file, relevance and the "
    "section text. Quote the relevant steps and cite them as 'Title — Section (source)'. "
    "If the result says no runbook matches well, tell the user that instead of inventing a "
    "procedure. Optional filters: service, tag, alert (exact alert name)."
)


class SearchRunbooksArgs(BaseModel):
    query: str = Field(
        min_length=1,
        max_length=2000,
        description="What to look for: the engineer's words, an alert name or its description.",
    )
    k: int = Field(default=3, ge=1, le=10, description="How many runbooks to return (1-10).")
    service: str | None = Field(default=None, description="Only runbooks for this service.")
    tag: str | None = Field(default=None, description="Only runbooks with this tag.")
    alert: str | None = Field(default=None, description="Only runbooks for this alert name.")

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must contain text, not only spaces")
        return value.strip()

    @field_validator("service", "tag", "alert")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The section as a markdown quote, cut at a line boundary near `limit`."""
    lines: list[str] = []
    used = 0
    for line in text.strip().splitlines():
        if used + len(line) > limit and lines:
            lines.append("…")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(f"   > {line}" if line else "   >" for line in lines)


def hit_data(hit: Hit) -> dict[str, Any]:
    """A hit as the tool's structured data; `warning` is None unless the section was flagged
    at ingest as holding instruction-like text."""
    return {
        **hit.to_json(),
        "path": hit.path,
        "alerts": hit.alerts,
        "match": hit.match,
        "strong": hit.strong,
        "actions": mentioned_actions(hit.text),
        "warning": hit.warning,
    }


def format_hits(query: str, hits: list[Hit]) -> str:
    lines = [f'Runbooks matching "{query}" (best first; cite as "Title — Section (source)"):']
    for number, hit in enumerate(hits, start=1):
        how = "names this alert" if hit.match == "alert" else f"relevance {hit.relevance:.2f}"
        lines.append(f"{number}. {hit.title} — {hit.section} ({hit.source}; {how})")
        if hit.warning:  # before the quote, so nobody reads the text as steps first
            lines.append(f"   {hit.warning} Quote it only with this warning.")
        lines.append(quote(hit.text))
        actions = mentioned_actions(hit.text)
        if actions and hit.flagged:
            lines.append(
                f"   Actions named in this flagged text (not a recommendation): "
                f"{', '.join(actions)}"
            )
        elif actions:
            lines.append(f"   Remediation actions named here: {', '.join(actions)}")
    return "\n".join(lines)


def format_no_match(query: str, nearest: list[Hit], floor: float) -> str:
    text = (
        f'No runbook matches "{query}" well (no section reaches similarity {floor:.2f} or '
        "contains most of the query's words). Say that there is no runbook for this; do not "
        "invent one."
    )
    if nearest:
        names = "; ".join(f"{h.title} — {h.section} ({h.score:.2f})" for h in nearest)
        text += f" Nearest sections, NOT a match: {names}."
    return text


@dataclass(frozen=True)
class SearchRunbooks:
    """The read-only `search_runbooks` tool over one index."""

    index: RunbookIndex

    def run(self, args: SearchRunbooksArgs, _: Caller) -> ToolResult:
        try:
            hits = self.index.search(
                args.query,
                k=args.k,
                service=args.service,
                tag=args.tag,
                alert=args.alert,
                include_weak=True,
            )
        except RunbookError as exc:
            raise ToolError(str(exc)) from None
        except (EmbeddingError, ChromaUnavailable) as exc:
            return ToolResult.error(f"runbook search is unavailable: {exc}")
        if not hits:
            return self._nothing(args)
        strong = [h for h in hits if h.strong]
        if not strong:
            return ToolResult(
                text=format_no_match(args.query, hits[:3], self.index.min_score),
                data={"query": args.query, "hits": [], "nearest": [hit_data(h) for h in hits[:3]]},
            )
        return ToolResult(
            text=format_hits(args.query, strong),
            data={"query": args.query, "hits": [hit_data(h) for h in strong], "nearest": []},
        )

    def _nothing(self, args: SearchRunbooksArgs) -> ToolResult:
        """No hit at all: an empty index, or filters that leave nothing."""
        if self.index.is_empty():
            return ToolResult.error(
                "no runbooks are indexed yet; an operator can run `opsbot ingest`"
            )
        filters = {"service": args.service, "tag": args.tag, "alert": args.alert}
        named = ", ".join(f"{k}={v}" for k, v in filters.items() if v)
        return ToolResult(
            text=f'No runbook matches "{args.query}" with {named or "these filters"}. '
            "Say there is no runbook for this; do not invent one.",
            data={"query": args.query, "hits": [], "nearest": []},
        )

    def tool(self) -> OpsTool:
        return OpsTool(
            name="search_runbooks",
            description=DESCRIPTION,
            args=SearchRunbooksArgs,
            run=self.run,
            access=Access.READ,
        )


def build_runbook_tools(index: RunbookIndex) -> list[OpsTool]:
    """The read-only `search_runbooks` tool over `index`."""
    return [SearchRunbooks(index).tool()]
