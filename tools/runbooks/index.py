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

Ingest is incremental by content hash; see `RunbookIndex.ingest`. The parts live beside
this facade: `snapshot` (the in-memory view), `fusion` (the ranking), `indexing` (the write
side of ingest), `hits` (what a search returns).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np

from knowledge.ingest import SourceFile, discover
from knowledge.markdown import CHUNKER_VERSION
from knowledge.plaintext import expand_identifiers
from tools.injection_rules import RULES_VERSION as INJECTION_RULES
from tools.runbooks.client import make_client
from tools.runbooks.embedding import (
    DEFAULT_EMBEDDING,
    Embedder,
    chroma_embedding_function,
    make_embedder,
)
from tools.runbooks.fusion import Fusion, Ranked, best_similarity, rank_runbooks
from tools.runbooks.hits import Hit, RunbookError
from tools.runbooks.indexing import IngestReport, existing_docs, ingest_file
from tools.runbooks.snapshot import Snapshot, allowed_docs, hit_at, load_snapshot, named_alerts
from tools.runbooks.store import RunbookStore

DENSE_CANDIDATES = 100  # passages fetched from Chroma per query
# A section whose words carry this share of the query's IDF weight matches even when the
# embedding does not see it (exact terms: "anthropic 429", an error string, a hostname).
LEXICAL_STRONG = 0.65
MAX_K = 50


class _Query(NamedTuple):
    """One search's query and what is already known about it."""

    snapshot: Snapshot
    text: str
    vector: np.ndarray
    similarity: dict[int, float]  # section position -> best passage similarity
    alert: str | None  # the alert filter


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
        self._snapshot: Snapshot | None = None

    # -- the in-memory view ----------------------------------------------------------------
    def count(self) -> int:
        """Number of runbook sections (chunks) indexed."""
        return len(self._current().ids)

    def is_empty(self) -> bool:
        return self.count() == 0

    def sources(self) -> list[str]:
        return sorted({str(m.get("source", "")) for m in self._current().metas})

    def _current(self) -> Snapshot:
        """Chunk records and the BM25 index over them, rebuilt when the generation moved."""
        with self._lock:
            generation = self.store.generation()
            if self._snapshot is not None and self._snapshot.generation == generation:
                return self._snapshot
            self._snapshot = load_snapshot(self.store, generation)
            return self._snapshot

    # -- ingest --------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], progress: bool = True) -> IngestReport:
        """Index markdown files and folders incrementally.

        Unchanged files (same content hash, chunker, injection rules and embedding) are
        skipped without being parsed; changed ones are re-chunked and replace their old records; files gone from a
        folder that was passed are removed. A bad file is reported in `skipped` (its previous
        version, if any, stays indexed) and never stops the run. Sections with instruction-like
        text are indexed with the reasons (metadata `injection`) and listed in `flagged`.
        """
        from tqdm import tqdm

        started = time.perf_counter()
        report = IngestReport()
        scopes, missing = discover([Path(p) for p in paths])
        report.skipped.extend(missing)
        # the chunker, the injection rules (a change re-flags every file) and the embedding
        pipeline = f"{CHUNKER_VERSION}/{INJECTION_RULES}/{self.embedder.name}"
        files = [SourceFile(scope.root, f) for scope in scopes for f in scope.files]
        with self._lock:
            existing = existing_docs(self.store, scopes, files)
            seen: set[str] = set()
            with tqdm(
                total=len(files), desc="ingest", unit="file", file=sys.stderr, disable=not progress
            ) as bar:
                for file in files:
                    bar.set_postfix_str(file.relative[-40:], refresh=False)
                    seen.add(file.doc_id)
                    ingest_file(
                        self.store,
                        self.embedder,
                        file,
                        existing.get(file.doc_id),
                        pipeline,
                        report,
                    )
                    bar.update(1)
            self.store.flush()
            pruned_roots = {str(scope.root) for scope in scopes if scope.prune}
            for doc_id, indexed in sorted(existing.items()):
                if indexed.root in pruned_roots and doc_id not in seen:
                    self.store.delete_doc(doc_id)
                    report.removed.append(indexed.source)
            if report.changed:
                self.store.bump_generation()
                self._snapshot = None
        report.seconds = time.perf_counter() - started
        return report

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
        allowed = allowed_docs(snapshot, service, tag, alert)
        if allowed is not None and not allowed:
            return []
        pinned = named_alerts(snapshot, query, allowed)
        vector = self.embedder.embed([expand_identifiers(query)])[0]
        similarity = self._dense_similarity(snapshot, vector, allowed)
        ranked = rank_runbooks(snapshot, self.fusion, query, similarity, allowed, self.min_score)
        order = pinned + [r.doc_id for r in ranked if r.doc_id not in pinned]
        if alert is not None and allowed:  # every runbook of the asked-for alert is a match
            order += [d for d in sorted(allowed) if d not in order]
        asked = _Query(snapshot, query, vector, similarity, alert)
        return self._hits(asked, order, ranked, pinned, k, include_weak)

    def _hits(
        self,
        asked: _Query,
        order: list[str],
        ranked: list[Ranked],
        pinned: list[str],
        k: int,
        include_weak: bool,
    ) -> list[Hit]:
        """Hits for the runbooks in `order`, `k` at a time until `k` are kept; `relevance`
        is each one's fused score relative to the best-ranked runbook's."""
        snapshot, query, vector, similarity, alert = asked
        best = {r.doc_id: r for r in ranked}
        top = ranked[0].fused if ranked and ranked[0].fused > 0 else 1.0
        hits: list[Hit] = []
        for start in range(0, len(order), k):
            batch: list[tuple[Hit, bool]] = []
            for doc_id in order[start : start + k]:
                found = best.get(doc_id)
                if found is None:  # pinned by name, matched by neither ranking
                    position = next(
                        i for i, m in enumerate(snapshot.metas) if m["doc_id"] == doc_id
                    )
                else:
                    position = found.position
                hit = hit_at(snapshot, position, similarity.get(position))
                hit.relevance = found.fused / top if found is not None else 0.0
                scored = position in similarity
                if doc_id in pinned:
                    hit.match, hit.score, hit.relevance, scored = "alert", 1.0, 1.0, True
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

    def _dense_similarity(
        self, snapshot: Snapshot, vector: np.ndarray, allowed: set[str] | None
    ) -> dict[int, float]:
        """Best passage similarity of each section among the dense candidates."""
        n = max(1, min(DENSE_CANDIDATES, snapshot.passages))
        nearest = self.store.nearest_passages(
            vector, n, sorted(allowed) if allowed is not None else None
        )
        return best_similarity(snapshot, nearest)

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
            hit_at(snapshot, i, 1.0) for i, m in enumerate(snapshot.metas) if m["doc_id"] == doc_id
        ]
        for hit in found:
            hit.match = "alert"
        return found

    def for_alert(self, alert: str) -> list[str]:
        """Doc ids of the runbooks that name `alert` (case-insensitive), in source order."""
        return list(self._current().alert_docs.get(alert.strip().lower(), []))

    def named(self, name: str) -> list[str]:
        """Doc ids of the runbooks whose file is called `name` (case-insensitive, without
        `.md`; `-` and `_` ignored), in source order: `alertmanagerfailedreload` finds
        `.../AlertmanagerFailedReload.md`."""
        wanted = _file_key(name)
        if not wanted:
            return []
        found: list[str] = []
        for meta in self._current().metas:
            doc_id = str(meta.get("doc_id", ""))
            stem = str(meta.get("source", "")).rsplit("/", 1)[-1]
            if _file_key(stem) == wanted and doc_id not in found:
                found.append(doc_id)
        return found

    def titles(self) -> dict[str, str]:
        """Title of each indexed runbook by doc id, in source order."""
        found: dict[str, str] = {}
        for meta in self._current().metas:
            found.setdefault(str(meta.get("doc_id", "")), str(meta.get("title", "")))
        return found

    def alert_names(self) -> list[str]:
        names: set[str] = set()
        for meta in self._current().metas:
            names.update(str(a) for a in meta.get("alerts") or [])
        return sorted(names)


def _file_key(name: str) -> str:
    """A runbook file name compared loosely: lower case, no `.md`, no `-`, `_` or spaces."""
    name = name.strip().lower()
    if name.endswith((".md", ".markdown")):
        name = name.rsplit(".", 1)[0]
    return "".join(ch for ch in name if ch.isalnum())


__all__ = ["RunbookIndex"]
