"""Weighted reciprocal rank fusion of the dense and BM25 rankings into one runbook order
(see the `tools.runbooks.index` docstring for why these rankings and these values)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from tools.runbooks.hits import RunbookError
from tools.runbooks.snapshot import Snapshot

LEXICAL_CANDIDATES = 200  # chunks taken from the BM25 ranking
# Dense candidates below this share of the embedding's floor are noise: they get no vote in
# the fusion (an off-topic query still has nearest neighbours, at similarity ~0.1-0.25).
DENSE_VOTE_SHARE = 0.6


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


@dataclass(frozen=True)
class Ranked:
    """One runbook in the fused order: its doc id, the position of its best section and its
    fused score."""

    doc_id: str
    position: int
    fused: float


def best_similarity(snapshot: Snapshot, nearest: list[tuple[str, float]]) -> dict[int, float]:
    """Each dense-matched section's best passage similarity, by section position."""
    similarity: dict[int, float] = {}
    for chunk_id, sim in nearest:
        position = snapshot.position.get(chunk_id)
        if position is not None and sim > similarity.get(position, -2.0):
            similarity[position] = sim
    return similarity


def rank_runbooks(
    snapshot: Snapshot,
    fusion: Fusion,
    query: str,
    similarity: dict[int, float],
    allowed: set[str] | None,
    min_score: float,
) -> list[Ranked]:
    """Runbooks by fused score, best first."""
    import numpy as np

    keep = None
    if allowed is not None:
        keep = np.array([m["doc_id"] in allowed for m in snapshot.metas], dtype=bool)
    fused = _section_votes(snapshot, fusion, query, similarity, keep, min_score)
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
    return [Ranked(snapshot.runbook_ids[row], best[row], score[row]) for row in order]


def _section_votes(
    snapshot: Snapshot,
    fusion: Fusion,
    query: str,
    similarity: dict[int, float],
    keep: np.ndarray | None,
    min_score: float,
) -> dict[int, float]:
    """Each section's fused score from the dense and the two section BM25 rankings."""
    # Dense votes count fully from the floor up, fade out below it, and vanish at
    # noise level; BM25 votes count fully (a word match is a fact, not a guess).
    vote = min_score * DENSE_VOTE_SHARE
    dense_order = sorted(
        (p for p, sim in similarity.items() if sim > vote), key=lambda p: (-similarity[p], p)
    )
    fused: dict[int, float] = {}
    for rank, position in enumerate(dense_order, start=1):
        weight = min(1.0, (similarity[position] - vote) / (min_score - vote))
        fused[position] = weight / (fusion.k + rank)
    for lexicon, weight in ((snapshot.lexical, 1.0), (snapshot.exact, fusion.exact)):
        if weight <= 0:
            continue
        for rank, position in enumerate(_by_score(lexicon.scores(query), keep), start=1):
            fused[position] = fused.get(position, 0.0) + weight / (fusion.k + rank)
    return fused


def _by_score(scores: np.ndarray, keep: np.ndarray | None) -> list[int]:
    """Positions with a positive BM25 score, best first (at most LEXICAL_CANDIDATES)."""
    import numpy as np

    if keep is not None:
        scores = np.where(keep, scores, 0.0)
    top = np.argsort(-scores, kind="stable")[:LEXICAL_CANDIDATES]
    return [int(i) for i in top if scores[i] > 0]
