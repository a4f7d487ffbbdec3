"""Finding and reading runbook files for ingest: which files, what changed, what is bad.

The store-specific half (embedding, writing to Chroma) lives in `tools.runbooks.index`; this
module only does file-system work, so it can be tested without a vector store. A bad file
(unreadable, binary, empty, malformed front matter) becomes a `Skipped` with a reason and
never stops the run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from knowledge.markdown import Chunk, Document, MarkdownError, chunk_document, parse_markdown

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
MAX_BYTES = 2 * 1024 * 1024  # a runbook is prose; anything bigger is a mistake


@dataclass(frozen=True)
class Scope:
    """One PATH argument. Directories are mirrored: files gone from them are removed from
    the index. A single file is only added or updated."""

    root: Path  # resolved directory the sources are relative to
    files: tuple[Path, ...]
    prune: bool


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass(frozen=True)
class SourceFile:
    root: Path
    path: Path

    @property
    def relative(self) -> str:
        return self.path.relative_to(self.root).as_posix()

    @property
    def source(self) -> str:
        """How hits cite the file: the root folder's name and the path inside it."""
        return f"{self.root.name}/{self.relative}"

    @property
    def doc_id(self) -> str:
        return hashlib.sha1(f"{self.root}/{self.relative}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class LoadedFile:
    file: SourceFile
    content_hash: str
    document: Document
    chunks: list[Chunk]


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def discover(paths: list[Path]) -> tuple[list[Scope], list[Skipped]]:
    """Expand PATH arguments into scopes of markdown files; missing paths are skipped."""
    scopes: list[Scope] = []
    skipped: list[Skipped] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            skipped.append(Skipped(str(raw), "does not exist"))
            continue
        resolved = path.resolve()
        if resolved.is_dir():
            files = sorted(
                p
                for p in resolved.rglob("*")
                if p.suffix.lower() in MARKDOWN_SUFFIXES
                and not _hidden(p, resolved)
                and (p.is_file() or p.is_symlink())
            )
            scopes.append(Scope(root=resolved, files=tuple(files), prune=True))
        elif resolved.is_file():
            scopes.append(Scope(root=resolved.parent, files=(resolved,), prune=False))
        else:
            skipped.append(Skipped(str(raw), "is neither a file nor a directory"))
    return scopes, skipped


def read_bytes(file: SourceFile) -> bytes | Skipped:
    try:
        size = file.path.stat().st_size
        if size > MAX_BYTES:
            return Skipped(file.source, f"too large ({size} bytes; the limit is {MAX_BYTES})")
        return file.path.read_bytes()
    except OSError as exc:
        return Skipped(file.source, f"unreadable: {exc.strerror or exc}")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(file: SourceFile, data: bytes) -> LoadedFile | Skipped:
    """Decode, parse and chunk one file, or say why it cannot be used."""
    if not data.strip():
        return Skipped(file.source, "empty file")
    if b"\x00" in data[:8192]:
        return Skipped(file.source, "binary file (contains NUL bytes), not markdown")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(
            file.source, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        )
    try:
        document = parse_markdown(text, fallback_title=file.path.stem)
    except MarkdownError as exc:
        return Skipped(file.source, str(exc))
    chunks = chunk_document(document)
    if not chunks:
        return Skipped(file.source, "no text besides front matter and headings")
    return LoadedFile(file=file, content_hash=content_hash(data), document=document, chunks=chunks)
