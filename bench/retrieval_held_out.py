"""`--held-out` of the retrieval bench: every weight combination of a small grid is scored,
the best is chosen on one half of the alerts (even/odd positions in the map, then 50 random
halves) and reported on the other half, beside the BM25 baselines on that same half."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import numpy as np

from bench.retrieval_scoring import QUERY_SETS, Ranks, evaluate, quality
from tools.runbooks.fusion import Fusion
from tools.runbooks.index import RunbookIndex

GRID = [
    Fusion(k=k, exact=exact, runbook=runbook)
    for k, exact, runbook in itertools.product((5, 10, 20, 30, 60), (0, 0.5, 1), (0, 0.5, 1))
]
LEAD_CAP = 0.05  # a lead counts up to this much, so a big one cannot pay for a loss elsewhere
GOALS = {"r@1": 0.85, "r@3": 0.95}  # on descriptions


def pick(ranks: Ranks, idx: Sequence[int]) -> Ranks:
    return {label: [values[i] for i in idx] for label, values in ranks.items()}


def objective(ours: Ranks, baselines: Sequence[Ranks]) -> float:
    """Lead over the better BM25 baseline, summed over the six figures (each lead capped at
    LEAD_CAP); -inf when the description goals are missed."""
    r1, r3, _ = quality(ours["descriptions"])
    if r1 < GOALS["r@1"] or r3 < GOALS["r@3"]:
        return float("-inf")
    total = 0.0
    for label, _column in QUERY_SETS:
        best = np.max([quality(b[label]) for b in baselines], axis=0)
        total += sum(min(o - b, LEAD_CAP) for o, b in zip(quality(ours[label]), best, strict=True))
    return total


def _describe(fusion: Fusion) -> str:
    return f"k={fusion.k:g} exact={fusion.exact:g} runbook={fusion.runbook:g}"


def _line(name: str, ranks: Ranks) -> str:
    parts = []
    for label, _column in QUERY_SETS:
        r1, r3, mrr = quality(ranks[label])
        parts.append(f"{label[:4]} {r1:.3f} / {r3:.3f} / {mrr:.3f}")
    return f"    {name:18s} " + "   ".join(parts)


class _CachedEmbedder:
    """The index's embedder with a memory: the grid asks the same queries many times."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.min_score = inner.min_score  # type: ignore[attr-defined]
        self._cache: dict[tuple[str, ...], np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        key = tuple(texts)
        if key not in self._cache:
            self._cache[key] = self.inner.embed(texts)  # type: ignore[attr-defined]
        return self._cache[key]


def held_out(
    index: RunbookIndex,
    queries: list[tuple[str, str, str, str]],
    baselines: dict[str, Ranks],
    splits: int = 50,
) -> None:
    """Choose the fusion weights on one half of the alerts, report them on the other."""
    shipped, embedder = index.fusion, index.embedder
    index.embedder = _CachedEmbedder(embedder)  # type: ignore[assignment]
    by_config: dict[Fusion, Ranks] = {}
    try:
        for fusion in GRID:
            index.fusion = fusion
            by_config[fusion] = evaluate(
                "",
                lambda q: [h.source for h in index.search(q, k=10, include_weak=True)],
                queries,
                quiet=True,
            )
    finally:
        index.fusion, index.embedder = shipped, embedder
    bases = list(baselines.values())

    def choose(idx: Sequence[int]) -> Fusion:
        return max(
            GRID, key=lambda f: objective(pick(by_config[f], idx), [pick(b, idx) for b in bases])
        )

    print(
        f"\nheld-out check: fusion weights chosen on one half of the alerts from {len(GRID)} "
        "combinations (k 5-60, exact 0/0.5/1, runbook 0/0.5/1), figures on the other half "
        "(r@1 / r@3 / MRR):"
    )
    n = len(queries)
    even, odd = list(range(0, n, 2)), list(range(1, n, 2))
    for train, test, names in ((even, odd, ("even", "odd")), (odd, even, ("odd", "even"))):
        chosen = choose(train)
        print(
            f"  chosen on the {names[0]} half ({len(train)} alerts): {_describe(chosen)}; "
            f"{names[1]} half ({len(test)} alerts):"
        )
        print(_line("ours", pick(by_config[chosen], test)))
        for name, ranks in baselines.items():
            print(_line(name, pick(ranks, test)))
    rng = random.Random(0)
    held: list[list[tuple[float, float, float]]] = []
    shipped_chosen = 0
    for _ in range(splits):
        order = list(range(n))
        rng.shuffle(order)
        halves = sorted(order[: n // 2]), sorted(order[n // 2 :])
        for train, test in (halves, halves[::-1]):
            chosen = choose(train)
            shipped_chosen += chosen == shipped
            rows = [pick(by_config[chosen], test)] + [pick(b, test) for b in bases]
            held.append([quality(r[label]) for r in rows for label, _column in QUERY_SETS])
    mean = np.mean(np.asarray(held), axis=0)
    print(
        f"  {splits} random halves, both ways ({2 * splits} choices; the shipped "
        f"{_describe(shipped)} chosen {shipped_chosen} times); mean held-out figures:"
    )
    for row, name in enumerate(["ours", *baselines]):
        parts = [
            f"{label[:4]} {' / '.join(f'{v:.3f}' for v in mean[2 * row + col])}"
            for col, (label, _column) in enumerate(QUERY_SETS)
        ]
        print(f"    {name:18s} " + "   ".join(parts))
    full = by_config[shipped]
    print(f"  all {n} alerts with the shipped weights:")
    print(_line("ours", full))
