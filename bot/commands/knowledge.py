"""`opsbot ingest` and `opsbot search`: the runbook index from the command line.

`ingest [PATH...]` (default: the shipped runbooks, or KNOWLEDGE_DIR) indexes markdown
incrementally with a progress bar on stderr and prints what changed; bad files are listed
with the reason and skipped. Sections holding instruction-like text ("ignore previous
instructions", "call run_remediation", …) are indexed as data with the reason and listed as
`flagged` (file, section, reason): they are content, not an error. Exit 0, or 1 when a PATH
does not exist.
`search TEXT` prints what the agent's `search_runbooks` tool sees. Exit 0 with hits, 1 when
no runbook matches well (like grep); `--json` prints a list of
`{"source", "title", "section", "score", "relevance", "text"}` (empty when nothing matches)
and exits 0. `score` is the best passage's cosine similarity; `relevance` is the fused rank
score relative to the best hit, the order the hits are listed in (and the number printed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import CliError, exit_code
from bot.commands.deps import bind, knowledge_commands

if TYPE_CHECKING:
    from bot.commands.deps import KnowledgeCommands


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="(re)index runbooks into Chroma, incrementally")
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="markdown files or folders (default: the shipped runbooks / KNOWLEDGE_DIR)",
    )
    p.add_argument("--rebuild", action="store_true", help="drop the index first, then ingest")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=bind(cmd_ingest, knowledge_commands))

    p = sub.add_parser("search", help="search the runbooks as the agent does")
    p.add_argument("text", help="symptom, question or alert name")
    p.add_argument("--k", type=int, default=3, help="number of runbooks (1-50, default 3)")
    p.add_argument("--service", help="only runbooks for this service")
    p.add_argument("--tag", help="only runbooks with this tag")
    p.add_argument("--alert", help="only runbooks for this alert name")
    p.add_argument("--all", action="store_true", help="also show weak matches, marked as such")
    p.add_argument("--json", action="store_true", help="print hits as a JSON list")
    p.set_defaults(handler=bind(cmd_search, knowledge_commands))


def build_index(settings: Any) -> Any:
    """The RunbookIndex for these settings (OPSBOT_DATA_DIR, CHROMA_HOST/PORT, OPSBOT_EMBEDDING)."""
    from tools.runbooks import index_from_settings

    return index_from_settings(settings)


def cmd_ingest(args: argparse.Namespace, deps: KnowledgeCommands) -> int:
    from tools.runbooks import EmbeddingError
    from tools.runbooks.client import ChromaUnavailable

    settings = deps.settings
    paths = list(args.paths) or [Path(settings.resolved_knowledge_dir())]
    try:
        index = build_index(settings)
        if args.rebuild:
            index.rebuild()
        report = index.ingest(paths, progress=not args.quiet)
    except (EmbeddingError, ChromaUnavailable) as exc:  # its exit code: bot.cli.exit_code
        raise CliError(str(exc), exit_code(exc)) from None
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.summary())
    missing = [s.source for s in report.skipped if s.reason == "does not exist"]
    if missing:
        print(f"opsbot: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


def cmd_search(args: argparse.Namespace, deps: KnowledgeCommands) -> int:
    from tools.runbooks import EmbeddingError, RunbookError
    from tools.runbooks.client import ChromaUnavailable
    from tools.runbooks.tool import format_hits, format_no_match

    try:
        index = build_index(deps.settings)
        if index.is_empty():
            raise CliError("no runbooks are indexed yet; run `opsbot ingest` first")
        hits = index.search(
            args.text,
            k=args.k,
            service=args.service,
            tag=args.tag,
            alert=args.alert,
            include_weak=True,
        )
    except RunbookError as exc:
        raise CliError(str(exc), 2) from None
    except (EmbeddingError, ChromaUnavailable) as exc:  # its exit code: bot.cli.exit_code
        raise CliError(str(exc), exit_code(exc)) from None
    strong = [h for h in hits if h.strong]
    if args.json:
        shown = hits if args.all else strong
        print(json.dumps([h.to_json() for h in shown], indent=2, ensure_ascii=False))
        return 0
    if strong:
        print(format_hits(args.text, strong))
    else:
        print(format_no_match(args.text, hits[:3], index.min_score))
    weak = [h for h in hits if not h.strong]
    if args.all and weak and strong:
        print("\nWeak matches (below the floor, probably unrelated):")
        for hit in weak:
            print(f"- {hit.title} — {hit.section} ({hit.source}; relevance {hit.relevance:.2f})")
    return 0 if strong else 1
