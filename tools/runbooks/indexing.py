"""The write side of ingest: which indexed files these paths cover, one file's chunk and
passage records (embedded), and the report of a run. `RunbookIndex.ingest` drives it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from knowledge.ingest import LoadedFile, Scope, Skipped, SourceFile, content_hash, load, read_bytes
from knowledge.markdown import Chunk
from knowledge.plaintext import expand_identifiers
from tools.injection import flag
from tools.runbooks.embedding import Embedder
from tools.runbooks.store import Records, RunbookStore

# the chunk metadata key of a section with instruction-like text: the reasons (tools.injection)
INJECTION = "injection"


@dataclass(frozen=True)
class Flagged:
    """A section indexed with instruction-like text in it: kept as data, quoted with a
    warning (see tools.injection)."""

    source: str
    section: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "section": self.section, "reason": self.reason}


class Indexed(NamedTuple):
    """What the index holds of one file."""

    root: str
    source: str
    content_hash: str
    pipeline: str
    flagged: tuple[Flagged, ...] = ()


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # every flagged section of the files these paths cover, written now or indexed before
    flagged: list[Flagged] = field(default_factory=list)
    chunks_written: int = 0
    passages_written: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        lines = [
            f"runbooks: {len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
            f"{len(self.skipped)} skipped ({self.chunks_written} sections, "
            f"{self.passages_written} passages written in {self.seconds:.1f}s)"
        ]
        for label, names in (
            ("added", self.added),
            ("updated", self.updated),
            ("removed", self.removed),
        ):
            lines.extend(f"  {label}: {name}" for name in names)
        lines.extend(f"  skipped: {s.source}: {s.reason}" for s in self.skipped)
        if self.flagged:
            lines.append(
                f"{len(self.flagged)} sections hold instruction-like text: indexed as data, "
                "quoted with a warning, never followed"
            )
            lines.extend(f"  flagged: {f.source} § {f.section}: {f.reason}" for f in self.flagged)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "flagged": [f.to_json() for f in self.flagged],
            "sections": self.chunks_written,
            "passages": self.passages_written,
            "seconds": round(self.seconds, 3),
        }


def existing_docs(
    store: RunbookStore, scopes: Sequence[Scope], files: Sequence[SourceFile]
) -> dict[str, Indexed]:
    """doc_id -> what the index holds of each file these paths cover."""
    roots = sorted({str(s.root) for s in scopes if s.prune})
    singles = sorted({f.doc_id for f in files if str(f.root) not in roots})
    conditions: list[dict[str, Any]] = []
    if roots:
        conditions.append({"root": {"$in": roots}})
    if singles:
        conditions.append({"doc_id": {"$in": singles}})
    if not conditions:
        return {}
    where = conditions[0] if len(conditions) == 1 else {"$or": conditions}
    found: dict[str, Indexed] = {}
    flagged: dict[str, list[tuple[int, Flagged]]] = {}
    for meta in store.chunk_metadata(where):
        doc_id, source = str(meta["doc_id"]), str(meta.get("source", ""))
        found[doc_id] = Indexed(
            str(meta.get("root", "")),
            source,
            str(meta.get("content_hash", "")),
            str(meta.get("pipeline", "")),
        )
        if meta.get(INJECTION):
            item = Flagged(source, str(meta.get("section", "")), str(meta[INJECTION]))
            flagged.setdefault(doc_id, []).append((int(meta.get("ordinal", 0)), item))
    for doc_id, items in flagged.items():
        found[doc_id] = found[doc_id]._replace(flagged=tuple(f for _, f in sorted(items)))
    return found


def ingest_file(
    store: RunbookStore,
    embedder: Embedder,
    file: SourceFile,
    previous: Indexed | None,
    pipeline: str,
    report: IngestReport,
) -> None:
    """Write one file's records unless unchanged or unreadable; note the outcome in `report`."""
    data = read_bytes(file)
    if isinstance(data, Skipped):
        report.skipped.append(_kept(data, previous, report))
        return
    if (
        previous is not None
        and previous.content_hash == content_hash(data)
        and previous.pipeline == pipeline
    ):
        report.unchanged.append(file.source)
        report.flagged.extend(previous.flagged)
        return
    loaded = load(file, data)
    if isinstance(loaded, Skipped):
        report.skipped.append(_kept(loaded, previous, report))
        return
    chunks, passages = file_records(embedder, loaded, pipeline)
    report.flagged.extend(
        Flagged(file.source, str(m["section"]), str(m[INJECTION]))
        for m in chunks.metadatas
        if m.get(INJECTION)
    )
    if previous is not None:
        store.delete_doc(file.doc_id)
    store.add(chunks, passages)
    (report.updated if previous is not None else report.added).append(file.source)
    report.chunks_written += len(chunks.ids)
    report.passages_written += len(passages.ids)


def file_records(embedder: Embedder, loaded: LoadedFile, pipeline: str) -> tuple[Records, Records]:
    """The chunk records (centroid of their passages) and passage records of one file."""
    import numpy as np

    file, doc = loaded.file, loaded.document
    base: dict[str, Any] = {
        "doc_id": file.doc_id,
        "root": str(file.root),
        "source": file.source,
        "path": str(file.path),
        "title": doc.title,
        "content_hash": loaded.content_hash,
        "pipeline": pipeline,
        "severity": doc.severity,
    }
    for name, values in (
        ("alerts", doc.alerts),
        ("services", doc.services),
        ("tags", doc.tags),
    ):
        if values:
            base[name] = list(values)
    texts: list[str] = []
    owner: list[int] = []
    for index, chunk in enumerate(loaded.chunks):
        for passage in chunk.passages():
            texts.append(passage)
            owner.append(index)
    vectors = embedder.embed([expand_identifiers(t) for t in texts])
    owners = np.asarray(owner, dtype=np.int64)
    chunks, passages = Records(), Records()
    for index, chunk in enumerate(loaded.chunks):
        chunk_id = f"{file.doc_id}:{chunk.ordinal}"
        mine = vectors[owners == index]
        centroid = mine.mean(axis=0)
        centroid = centroid / (float(np.linalg.norm(centroid)) or 1.0)
        meta = {
            **base,
            "chunk_id": chunk_id,
            "section": chunk.section,
            "ordinal": chunk.ordinal,
            "passages": len(mine),
        }
        flagged = chunk_flag(chunk)
        if flagged:
            meta[INJECTION] = flagged
        chunks.extend([chunk_id], [centroid.astype(np.float32)], [chunk.text], [meta])
    for number, (text, index) in enumerate(zip(texts, owner, strict=True)):
        chunk_id = f"{file.doc_id}:{loaded.chunks[index].ordinal}"
        passages.extend(
            [f"{chunk_id}:{number}"],
            [vectors[number]],
            [text],
            [{"doc_id": file.doc_id, "chunk_id": chunk_id}],
        )
    return chunks, passages


def chunk_flag(chunk: Chunk) -> str:
    """The reasons a section holds instruction-like text ('' for none). Its heading is read
    too: the chunker keeps "### System" only as the section's name."""
    heading = chunk.section.rsplit(" > ", 1)[-1]
    return flag(f"### {heading}\n{chunk.text}")


def _kept(skipped: Skipped, previous: Indexed | None, report: IngestReport) -> Skipped:
    if previous is None:
        return skipped
    report.flagged.extend(previous.flagged)
    return Skipped(skipped.source, f"{skipped.reason} (the previously indexed version is kept)")
