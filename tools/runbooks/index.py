"""RunbookIndex: runbooks in Chroma, found by hybrid search.

Storage (see store.py): per embedding, a collection of runbook sections ("chunks") and one
of their passages (sentences, list items, command lines). A query is matched against the
passages (small units embed sharply: an alert description is one sentence, and so is the
line of a runbook that answers it; the hit returned is still the whole section) and against
the sections with BM25. Rankings are fused with weighted reciprocal rank fusion (`Fusion`):

- per section: dense (best passage) and stemmed BM25 get a full vote each, BM25 on exact
  word forms half a vote (the query's own wording - "reconciling" rather than "reconcile" -
  is stronger evidence than a shared stem, but it re-reads the same words, so it refines the
  lexical vote rather than doubling it);
- per runbook: its best section's fused score, plus half a vote from BM25 over the whole
  runbook (a short query such as an alert summary names a topic whose words are spread over
  several sections of the right runbook);
- equal fused scores (rank fusion throws the magnitudes away) are ordered by dense
  similarity instead of by file name.

The constant k is 10, not the customary 60: 60 was tuned for lists of a thousand web
documents, where the hundredth result still matters; here the answer is among the first few
sections, and k=10 gives a section at rank 12 half the vote of rank 1. The weights were
picked from a small grid (k 5-60, extra votes 0/0.5/1) and checked on held-out halves of the
alerts: `bench/retrieval.py --held-out`. An alert name written in the query puts that
alert's runbook first. bench/retrieval.py measures all of it against plain BM25.

Ingest is incremental by content hash; see `RunbookIndex.ingest`.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from core.errors import Invalid
from knowledge.ingest import (
    LoadedFile,
    Scope,
    Skipped,
    SourceFile,
    content_hash,
    discover,
    load,
    read_bytes,
)
from knowledge.markdown import CHUNKER_VERSION, doc_context, expand_identifiers, search_text
from tools.runbooks.client import make_client
from tools.runbooks.embedding import (
    DEFAULT_EMBEDDING,
    Embedder,
    chroma_embedding_function,
    make_embedder,
)
from tools.runbooks.lexical import LexicalIndex
from tools.runbooks.store import Records, RunbookStore

DENSE_CANDIDATES = 100  # passages fetched from Chroma per query
LEXICAL_CANDIDATES = 200  # chunks taken from the BM25 ranking
# A section whose words carry this share of the query's IDF weight matches even when the
# embedding does not see it (exact terms: "anthropic 429", an error string, a hostname).
LEXICAL_STRONG = 0.65
# Dense candidates below this share of the embedding's floor are noise: they get no vote in
# the fusion (an off-topic query still has nearest neighbours, at similarity ~0.1-0.25).
DENSE_VOTE_SHARE = 0.6
MAX_K = 50
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")


class RunbookError(Invalid, ValueError):
    """A bad search or ingest request; the message names the bad value and what is allowed."""


@dataclass(frozen=True)
class Fusion:
    """Weighted reciprocal rank fusion: each ranking adds weight / (k + rank) (see the module
    docstring for why these rankings and these values). Dense and stemmed-BM25 section
    votes weigh 1."""

    k: float = 10.0
    exact: float = 0.5  # BM25 over sections, exact word forms (no stemming)
    runbook: float = 0.5  # BM25 over whole runbooks, added to each runbook's best section

    def __post_init__(self) -> None:
        for name in ("k", "exact", "runbook"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise RunbookError(f"fusion {name} must be a number >= 0, got {value!r}")


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

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "score": round(float(self.score), 4),
            "text": self.text,
        }

    @property
    def citation(self) -> str:
        return f"{self.title} — {self.section} ({self.source})"


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


@dataclass
class _Snapshot:
    """The chunk records of one collection generation, with the BM25 index over them."""

    generation: int
    ids: list[str]
    metas: list[dict[str, Any]]
    docs: list[str]
    lexical: LexicalIndex  # sections, stemmed
    exact: LexicalIndex  # sections, exact word forms
    runbooks: LexicalIndex  # whole runbooks (their sections' texts joined), stemmed
    runbook_ids: list[str]  # doc id of each row of `runbooks`
    doc_of: np.ndarray  # row in `runbooks` of each chunk
    position: dict[str, int]
    alert_docs: dict[str, list[str]]  # lower-case alert name -> doc ids
    passages: int


def _lower_set(values: Any) -> set[str]:
    return {str(v).lower() for v in values or []}


class RunbookIndex:
    """The runbook collection: ingest files, search them, fetch a runbook's sections."""

    def __init__(
        self,
        data_dir: Path,
        chroma_host: str | None = None,
        chroma_port: int = 8000,
        embedding: str = DEFAULT_EMBEDDING,
        *,
        embedder: Embedder | None = None,
        min_score: float | None = None,
        fusion: Fusion | None = None,
        model_idle_seconds: float | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.fusion = fusion or Fusion()
        self.chroma_host = chroma_host or None
        self.chroma_port = chroma_port
        self.embedding = embedding
        self.embedder: Embedder = embedder or make_embedder(embedding, model_idle_seconds)
        self.min_score = self.embedder.min_score if min_score is None else float(min_score)
        self.store = RunbookStore(
            lambda: make_client(self.data_dir, self.chroma_host, self.chroma_port),
            f"opsbot-runbooks-{self.embedder.name}"[:480],
            lambda: chroma_embedding_function(self.embedding, self.embedder),
        )
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None

    # -- the in-memory view ----------------------------------------------------------------
    def count(self) -> int:
        """Number of runbook sections (chunks) indexed."""
        return len(self._current().ids)

    def is_empty(self) -> bool:
        return self.count() == 0

    def sources(self) -> list[str]:
        return sorted({str(m.get("source", "")) for m in self._current().metas})

    def _current(self) -> _Snapshot:
        """Chunk records and the BM25 index over them, rebuilt when the generation moved."""
        import numpy as np

        with self._lock:
            generation = self.store.generation()
            if self._snapshot is not None and self._snapshot.generation == generation:
                return self._snapshot
            ids, docs, metas = self.store.all_chunks()
            order = sorted(
                range(len(ids)),
                key=lambda i: (str(metas[i].get("source", "")), int(metas[i].get("ordinal", 0))),
            )
            ids = [ids[i] for i in order]
            docs = [docs[i] for i in order]
            metas = [metas[i] for i in order]
            texts = [
                search_text(
                    doc_context(str(m.get("title", "")), [str(a) for a in m.get("alerts") or []]),
                    str(m.get("section", "")),
                    d,
                )
                for m, d in zip(metas, docs, strict=True)
            ]
            alert_docs: dict[str, list[str]] = {}
            for meta in metas:
                for name in meta.get("alerts") or []:
                    bucket = alert_docs.setdefault(str(name).lower(), [])
                    if meta["doc_id"] not in bucket:
                        bucket.append(str(meta["doc_id"]))
            runbook_texts: dict[str, list[str]] = {}
            for meta, text in zip(metas, texts, strict=True):
                runbook_texts.setdefault(str(meta["doc_id"]), []).append(text)
            runbook_ids = list(runbook_texts)
            row = {doc_id: i for i, doc_id in enumerate(runbook_ids)}
            self._snapshot = _Snapshot(
                generation=generation,
                ids=ids,
                metas=metas,
                docs=docs,
                lexical=LexicalIndex(texts),
                exact=LexicalIndex(texts, stem=False),
                runbooks=LexicalIndex(["\n".join(runbook_texts[d]) for d in runbook_ids]),
                runbook_ids=runbook_ids,
                doc_of=np.asarray([row[str(m["doc_id"])] for m in metas], dtype=np.int64),
                position={cid: i for i, cid in enumerate(ids)},
                alert_docs=alert_docs,
                passages=sum(int(m.get("passages", 0)) for m in metas),
            )
            return self._snapshot

    # -- ingest --------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], progress: bool = True) -> IngestReport:
        """Index markdown files and folders incrementally.

        Unchanged files (same content hash, chunker and embedding) are skipped without being
        parsed; changed ones are re-chunked and replace their old records; files gone from a
        folder that was passed are removed. A bad file is reported in `skipped` (its previous
        version, if any, stays indexed) and never stops the run.
        """
        from tqdm import tqdm

        started = time.perf_counter()
        report = IngestReport()
        scopes, missing = discover([Path(p) for p in paths])
        report.skipped.extend(missing)
        pipeline = f"{CHUNKER_VERSION}/{self.embedder.name}"
        files = [SourceFile(scope.root, f) for scope in scopes for f in scope.files]
        with self._lock:
            existing = self._existing(scopes, files)
            seen: set[str] = set()
            with tqdm(
                total=len(files), desc="ingest", unit="file", file=sys.stderr, disable=not progress
            ) as bar:
                for file in files:
                    bar.set_postfix_str(file.relative[-40:], refresh=False)
                    seen.add(file.doc_id)
                    self._ingest_one(file, existing.get(file.doc_id), pipeline, report)
                    bar.update(1)
            self.store.flush()
            pruned_roots = {str(scope.root) for scope in scopes if scope.prune}
            for doc_id, (root, source, _hash, _pipeline) in sorted(existing.items()):
                if root in pruned_roots and doc_id not in seen:
                    self.store.delete_doc(doc_id)
                    report.removed.append(source)
            if report.changed:
                self.store.bump_generation()
                self._snapshot = None
        report.seconds = time.perf_counter() - started
        return report

    def _existing(
        self, scopes: Sequence[Scope], files: Sequence[SourceFile]
    ) -> dict[str, tuple[str, str, str, str]]:
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
        found: dict[str, tuple[str, str, str, str]] = {}
        for meta in self.store.chunk_metadata(where):
            found[str(meta["doc_id"])] = (
                str(meta.get("root", "")),
                str(meta.get("source", "")),
                str(meta.get("content_hash", "")),
                str(meta.get("pipeline", "")),
            )
        return found

    def _ingest_one(
        self,
        file: SourceFile,
        previous: tuple[str, str, str, str] | None,
        pipeline: str,
        report: IngestReport,
    ) -> None:
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
        chunks, passages = self._records(loaded, pipeline)
        if previous is not None:
            self.store.delete_doc(file.doc_id)
        self.store.add(chunks, passages)
        (report.updated if previous is not None else report.added).append(file.source)
        report.chunks_written += len(chunks.ids)
        report.passages_written += len(passages.ids)

    def _records(self, loaded: LoadedFile, pipeline: str) -> tuple[Records, Records]:
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
        vectors = self.embedder.embed([expand_identifiers(t) for t in texts])
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

    def rebuild(self) -> None:
        """Drop both collections (the next ingest writes everything again)."""
        with self._lock:
            self.store.drop()
            self._snapshot = None

    # -- search --------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 3,
        service: str | None = None,
        tag: str | None = None,
        alert: str | None = None,
        include_weak: bool = False,
    ) -> list[Hit]:
        """The best `k` runbooks for `query`, one hit per runbook, best first.

        Filters (case-insensitive) keep runbooks whose front matter lists that service, tag
        or alert. A hit is strong when its similarity reaches the embedding's floor, its
        section holds most of the query's words (IDF-weighted coverage), or it is the runbook
        of an alert named in the query or asked for; weak hits are dropped unless
        `include_weak` (then marked `strong=False`). An empty list means no runbook matches
        well. A runbook whose alert is named in the query comes first (score 1.0).
        """
        if not isinstance(query, str) or not query.strip():
            raise RunbookError("query must be non-empty text")
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise RunbookError(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
        query = query.strip()
        snapshot = self._current()
        if not snapshot.ids:
            return []
        allowed = _allowed(snapshot, service, tag, alert)
        if allowed is not None and not allowed:
            return []
        pinned = _named_alerts(snapshot, query, allowed)
        vector = self.embedder.embed([expand_identifiers(query)])[0]
        ranked, similarity = self._rank_runbooks(snapshot, query, vector, allowed)
        best = dict(ranked)  # doc id -> position of its best section, best runbook first
        order = pinned + [d for d in best if d not in pinned]
        if alert is not None and allowed:  # every runbook of the asked-for alert is a match
            order += [d for d in sorted(allowed) if d not in order]
        hits: list[Hit] = []
        for start in range(0, len(order), k):
            batch: list[tuple[Hit, bool]] = []
            for doc_id in order[start : start + k]:
                position = best.get(doc_id)
                if position is None:  # pinned by name, matched by neither ranking
                    position = next(
                        i for i, m in enumerate(snapshot.metas) if m["doc_id"] == doc_id
                    )
                hit = _hit(snapshot, position, similarity.get(position))
                scored = position in similarity
                if doc_id in pinned:
                    hit.match, hit.score, scored = "alert", 1.0, True
                elif alert is not None:  # asked for this alert's runbooks: each is a match
                    hit.match = "alert"
                batch.append((hit, scored))
            unscored = [h for h, scored in batch if not scored]
            if unscored:
                self._fill_similarity(vector, unscored)
            coverage = snapshot.lexical.coverage(
                query, [snapshot.position[h.chunk_id] for h, _ in batch]
            )
            for (hit, _), covered in zip(batch, coverage, strict=True):
                hit.coverage = covered
                hit.strong = (
                    hit.match == "alert"
                    or hit.score >= self.min_score
                    or hit.coverage >= LEXICAL_STRONG
                )
                if hit.strong or include_weak:
                    hits.append(hit)
            if len(hits) >= k:
                break
        return hits[:k]

    def _rank_runbooks(
        self, snapshot: _Snapshot, query: str, vector: np.ndarray, allowed: set[str] | None
    ) -> tuple[list[tuple[str, int]], dict[int, float]]:
        """(doc id, position of its best section) by fused score, best first, and each
        dense-matched section's best similarity. See `Fusion` and the module docstring."""
        import numpy as np

        fusion = self.fusion
        n = max(1, min(DENSE_CANDIDATES, snapshot.passages))
        nearest = self.store.nearest_passages(
            vector, n, sorted(allowed) if allowed is not None else None
        )
        similarity: dict[int, float] = {}
        for chunk_id, sim in nearest:
            position = snapshot.position.get(chunk_id)
            if position is not None and sim > similarity.get(position, -2.0):
                similarity[position] = sim
        # Dense votes count fully from the floor up, fade out below it, and vanish at
        # noise level; BM25 votes count fully (a word match is a fact, not a guess).
        vote = self.min_score * DENSE_VOTE_SHARE
        dense_order = sorted(
            (p for p, sim in similarity.items() if sim > vote), key=lambda p: (-similarity[p], p)
        )
        keep = None
        if allowed is not None:
            keep = np.array([m["doc_id"] in allowed for m in snapshot.metas], dtype=bool)
        fused: dict[int, float] = {}
        for rank, position in enumerate(dense_order, start=1):
            weight = min(1.0, (similarity[position] - vote) / (self.min_score - vote))
            fused[position] = weight / (fusion.k + rank)
        for lexicon, weight in ((snapshot.lexical, 1.0), (snapshot.exact, fusion.exact)):
            if weight <= 0:
                continue
            for rank, position in enumerate(_by_score(lexicon.scores(query), keep), start=1):
                fused[position] = fused.get(position, 0.0) + weight / (fusion.k + rank)
        # Each runbook is represented by its best section ...
        best: dict[int, int] = {}
        for position in sorted(fused, key=lambda p: (-fused[p], p)):
            best.setdefault(int(snapshot.doc_of[position]), position)
        score = {row: fused[position] for row, position in best.items()}
        # ... plus a vote from BM25 over the whole runbook.
        if fusion.runbook > 0 and score:
            rows = None
            if allowed is not None:
                rows = np.array([d in allowed for d in snapshot.runbook_ids], dtype=bool)
            for rank, row in enumerate(_by_score(snapshot.runbooks.scores(query), rows), start=1):
                if row in score:
                    score[row] += fusion.runbook / (fusion.k + rank)
        # Equal fused scores: the runbook with the more similar passage first.
        closest: dict[int, float] = {}
        for position, sim in similarity.items():
            row = int(snapshot.doc_of[position])
            closest[row] = max(closest.get(row, -2.0), sim)
        order = sorted(score, key=lambda r: (-round(score[r], 12), -closest.get(r, -2.0), r))
        return [(snapshot.runbook_ids[row], best[row]) for row in order], similarity

    def _fill_similarity(self, vector: np.ndarray, hits: list[Hit]) -> None:
        """Similarity for hits only BM25 found (outside the dense candidates)."""
        vectors = self.store.passage_vectors([h.chunk_id for h in hits])
        for hit in hits:
            rows = vectors.get(hit.chunk_id)
            hit.score = float((rows @ vector).max()) if rows is not None else 0.0

    # -- whole runbooks ------------------------------------------------------------------
    def sections(self, doc_id: str) -> list[Hit]:
        """Every section of one runbook, in document order (for quoting Mitigation steps)."""
        snapshot = self._current()
        found = [
            _hit(snapshot, i, 1.0) for i, m in enumerate(snapshot.metas) if m["doc_id"] == doc_id
        ]
        for hit in found:
            hit.match = "alert"
        return found

    def for_alert(self, alert: str) -> list[str]:
        """Doc ids of the runbooks that name `alert` (case-insensitive), in source order."""
        return list(self._current().alert_docs.get(alert.strip().lower(), []))

    def alert_names(self) -> list[str]:
        names: set[str] = set()
        for meta in self._current().metas:
            names.update(str(a) for a in meta.get("alerts") or [])
        return sorted(names)


def _kept(skipped: Skipped, previous: tuple[str, str, str, str] | None) -> Skipped:
    if previous is None:
        return skipped
    return Skipped(skipped.source, f"{skipped.reason} (the previously indexed version is kept)")


def _by_score(scores: np.ndarray, keep: np.ndarray | None) -> list[int]:
    """Positions with a positive BM25 score, best first (at most LEXICAL_CANDIDATES)."""
    import numpy as np

    if keep is not None:
        scores = np.where(keep, scores, 0.0)
    top = np.argsort(-scores, kind="stable")[:LEXICAL_CANDIDATES]
    return [int(i) for i in top if scores[i] > 0]


def _allowed(
    snapshot: _Snapshot, service: str | None, tag: str | None, alert: str | None
) -> set[str] | None:
    """Doc ids passing the filters (None when there is no filter)."""
    filters = {"services": service, "tags": tag, "alerts": alert}
    active: dict[str, str] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise RunbookError(f"the {key[:-1]} filter must be non-empty text when given")
        active[key] = value.strip().lower()
    if not active:
        return None
    return {
        str(m["doc_id"])
        for m in snapshot.metas
        if all(value in _lower_set(m.get(key)) for key, value in active.items())
    }


def _named_alerts(snapshot: _Snapshot, query: str, allowed: set[str] | None) -> list[str]:
    """Runbooks of alert names written in the query, in the order they appear."""
    pinned: list[str] = []
    for word in _WORD.findall(query):
        for doc_id in snapshot.alert_docs.get(word.lower(), []):
            if doc_id not in pinned and (allowed is None or doc_id in allowed):
                pinned.append(doc_id)
    return pinned


def _hit(snapshot: _Snapshot, position: int, similarity: float | None) -> Hit:
    meta = snapshot.metas[position]
    return Hit(
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        score=float(similarity) if similarity is not None else 0.0,
        text=snapshot.docs[position],
        path=str(meta.get("path", "")),
        doc_id=str(meta.get("doc_id", "")),
        chunk_id=str(meta.get("chunk_id", "")),
        alerts=[str(a) for a in meta.get("alerts") or []],
        services=[str(s) for s in meta.get("services") or []],
        tags=[str(t) for t in meta.get("tags") or []],
        severity=str(meta.get("severity", "")),
    )
