"""The agent tool `search_logs`: the allowlisted log sources (LOG_SOURCES), searched by time
window, text or regular expression and level; counts, the newest matches with context lines,
and the templates when there are many. Every line is redacted by `OpsTool.invoke` before any
model or person sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, field_validator

from core.access import Caller
from core.clock import checked_window, iso, parse_window, utcnow
from tools.base import OpsTool, ToolResult
from tools.logs.journal import is_journal, read_unit
from tools.logs.loki import LokiConfig, is_loki, read_stream
from tools.logs.search import LEVELS, Found, Query, search
from tools.logs.sources import MAX_BYTES, read, resolve

MAX_LINE = 500  # characters of one line shown


class SearchLogsArgs(BaseModel):
    text: str | None = Field(None, max_length=500, description="Text to find (case-insensitive)")
    regex: bool = Field(False, description="Read `text` as a regular expression")
    level: str | None = Field(
        None, description="At least this level: debug, info, warning, error, critical"
    )
    source: str | None = Field(
        None, max_length=500, description="Only this log file (a configured one)"
    )
    since: Annotated[str, AfterValidator(checked_window)] = Field(
        "1h", description="How far back: 30m, 2h, 1d"
    )
    limit: int = Field(20, ge=1, le=100, description="Matching lines to show")
    context: int = Field(2, ge=0, le=5, description="Lines of context before and after each")

    @field_validator("level")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        low = value.strip().lower()
        low = {"warn": "warning", "err": "error", "crit": "critical"}.get(low, low)
        if low not in LEVELS:
            raise ValueError(f"unknown level {value!r}; use one of: {', '.join(LEVELS)}")
        return low


def _clip(line: str) -> str:
    return line if len(line) <= MAX_LINE else line[:MAX_LINE] + " […]"


def render(found: Found, args: SearchLogsArgs, problems: list[str]) -> str:
    what = f"{args.text!r}" if args.text else "any line"
    level = f" at {args.level} or above" if args.level else ""
    head = f"{found.count} line(s) matching {what}{level} in the last {args.since}"
    parts = [head + (f"; the newest {len(found.matches)}:" if found.matches else ".")]
    if found.first is not None and found.count > 1:
        when = iso(found.first.at) or "(no time)"
        parts.append(f"First in the window: {when} {found.first.source}: {_clip(found.first.line)}")
    if found.templates:
        parts.append("Most frequent templates:")
        parts += [f"  {count}× {template}" for template, count in found.templates]
    for match in found.matches:
        parts.append(f"— {match.source} {iso(match.at) or '(no time)'}")
        parts += [f"    {_clip(line)}" for line in match.before]
        parts.append(f"  > {_clip(match.line)}")
        parts += [f"    {_clip(line)}" for line in match.after]
    parts += [f"(problem: {p})" for p in problems]
    return "\n".join(parts)


@dataclass(frozen=True)
class SearchLogs:
    patterns: tuple[str, ...]
    max_bytes: int = MAX_BYTES
    journal_dir: str | None = None  # read `journal:<unit>` sources from here (journalctl -D)
    loki: LokiConfig | None = None  # where `loki:<selector>` sources are read

    def run(self, args: SearchLogsArgs, caller: Caller) -> ToolResult:
        now = utcnow()
        files, problems = resolve(list(self.patterns), args.source)
        lines: dict[str, list[str]] = {}
        since = now - parse_window(args.since)
        for path in files:
            if is_journal(path):
                got = read_unit(path, self.max_bytes, since, self.journal_dir)
            elif is_loki(path):
                got = read_stream(path, self.loki, self.max_bytes, since, now)
            else:
                got = read(path, self.max_bytes)
            if got.problem:
                problems.append(f"{path} {got.problem}")
                continue
            lines[path] = got.lines
            if got.truncated:
                problems.append(f"{path}: only its last {self.max_bytes // 1000} kB were read")
        query = Query(args.text, args.regex, args.level, since)
        found = search(lines, query, now, limit=args.limit, context=args.context)
        data = {
            "count": found.count,
            "matches": [
                {
                    "source": m.source,
                    "at": iso(m.at),
                    "line": _clip(m.line),
                    "before": [_clip(x) for x in m.before],
                    "after": [_clip(x) for x in m.after],
                }
                for m in found.matches
            ],
            "templates": [{"template": t, "count": n} for t, n in found.templates],
            "problems": problems,
            "first": None
            if found.first is None
            else {
                "source": found.first.source,
                "at": iso(found.first.at),
                "line": _clip(found.first.line),
            },
        }
        return ToolResult(text=render(found, args, problems), data=data)

    def tool(self) -> OpsTool:
        return OpsTool(
            name="search_logs",
            description="Search the configured log files, journal units and Loki streams "
            "(LOG_SOURCES) by "
            "time window, text or "
            "regex and level: counts, the newest matching lines with context, and the most "
            "frequent templates when there are many.",
            args=SearchLogsArgs,
            run=self.run,
        )


def build_log_tools(
    patterns: tuple[str, ...], journal_dir: str | None = None, loki: LokiConfig | None = None
) -> list[OpsTool]:
    return [SearchLogs(patterns, journal_dir=journal_dir, loki=loki).tool()] if patterns else []
