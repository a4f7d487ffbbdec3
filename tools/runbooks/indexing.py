"""The write side of ingest: which indexed files these paths cover, one file's chunk and
passage records (embedded), and the report of a run. `RunbookIndex.ingest` drives it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from knowledge.ingest import LoadedFile, Scope, Skipped, SourceFile, content_hash, load, read_bytes
from knowledge.plaintext import expand_identifiers
from tools.runbooks.embedding import Embedder
from tools.runbooks.store import Records, RunbookStore

# doc_id -> (root, source, content hash, pipeline) of an indexed file
Indexed = tuple[str, str, str, str]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
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
        return "\n".join(lines)


def existing_docs(
    store: RunbookStore, scopes: Sequence[Scope], files: Sequence[SourceFile]
) -> dict[str, Indexed]:
    """doc_id -> (root, source, content hash, pipeline) of what these paths cover."""
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
    for meta in store.chunk_metadata(where):
        found[str(meta["doc_id"])] = (
            str(meta.get("root", "")),
            str(meta.get("source", "")),
            str(meta.get("content_hash", "")),
            str(meta.get("pipeline", "")),
        )
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
        report.skipped.append(_kept(data, previous))
        return
    if previous is not None and previous[2] == content_hash(data) and previous[3] == pipeline:
        report.unchanged.append(file.source)
        return
    loaded = load(file, data)
    if isinstance(loaded, Skipped):
        report.skipped.append(_kept(loaded, previous))
        return
    chunks, passages = file_records(embedder, loaded, pipeline)
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


def _kept(skipped: Skipped, previous: Indexed | None) -> Skipped:
    if previous is None:
        return skipped
    return Skipped(skipped.source, f"{skipped.reason} (the previously indexed version is kept)")
