"""How the retrieval bench scores a search: the gold runbook's rank per query, recall@1,
recall@3 and MRR, latency percentiles, and the plain-BM25 baseline (bm25s defaults)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np


def distinct(sources: Iterable[str], limit: int = 10) -> list[str]:
    """The first `limit` different sources, in order."""
    ranked: list[str] = []
    for source in sources:
        if source not in ranked:
            ranked.append(source)
            if len(ranked) == limit:
                break
    return ranked


def by_score(scores: np.ndarray, sources: Sequence[str]) -> list[str]:
    """The sources of the rows with a positive (BM25) score, best first, each once."""
    return distinct(sources[int(i)] for i in np.argsort(-scores, kind="stable") if scores[i] > 0)


def rank_of(gold: str, ranked: list[str]) -> int | None:
    return ranked.index(gold) + 1 if gold in ranked else None


def quality(ranks: Sequence[int | None]) -> tuple[float, float, float]:
    """(recall@1, recall@3, MRR) of the gold runbook's ranks (None: not in the first 10)."""
    n = len(ranks)
    r1 = sum(1 for r in ranks if r == 1) / n
    r3 = sum(1 for r in ranks if r is not None and r <= 3) / n
    mrr = sum(1.0 / r for r in ranks if r is not None) / n
    return r1, r3, mrr


def figures(ranks: list[int | None], latencies: list[float]) -> str:
    r1, r3, mrr = quality(ranks)
    p50 = statistics.median(latencies) * 1000
    p95 = float(np.percentile(latencies, 95)) * 1000
    return f"r@1 {r1:.3f}  r@3 {r3:.3f}  MRR {mrr:.3f}  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms"


Ranks = dict[str, list[int | None]]  # query set -> the gold runbook's rank for each alert
QUERY_SETS = (("descriptions", 2), ("summaries", 3))


def evaluate(
    name: str,
    search: Callable[[str], list[str]],
    queries: list[tuple[str, str, str, str]],
    quiet: bool = False,
) -> Ranks:
    out: Ranks = {}
    for label, column in QUERY_SETS:
        ranks: list[int | None] = []
        latencies: list[float] = []
        for query in queries:
            started = time.perf_counter()
            ranked = search(query[column])
            latencies.append(time.perf_counter() - started)
            ranks.append(rank_of(query[1], ranked))
        out[label] = ranks
        if not quiet:
            print(f"  {name:34s} {label:12s} {figures(ranks, latencies)}")
    return out


class PlainBM25:
    """bm25s with its defaults; documents are (source, text) pairs; best text per source."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        import bm25s

        self._bm25s = bm25s
        self.sources = [s for s, _ in items]
        self.model = bm25s.BM25()
        self.model.index(
            bm25s.tokenize([t for _, t in items], stopwords="en", show_progress=False),
            show_progress=False,
        )

    def __call__(self, query: str) -> list[str]:
        words = self._bm25s.tokenize(
            [query], stopwords="en", show_progress=False, return_ids=False
        )[0]
        words = [w for w in words if w in self.model.vocab_dict]
        if not words:
            return []
        return by_score(self.model.get_scores(words), self.sources)
