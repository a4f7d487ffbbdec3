"""Shipped runbooks (markdown in `runbooks/`) and the parsing/chunking behind their ingest.

`tools.runbooks` stores and searches them; this package only knows files and markdown.
"""

from pathlib import Path

SHIPPED_RUNBOOKS = Path(__file__).resolve().parent / "runbooks"

__all__ = ["SHIPPED_RUNBOOKS"]
