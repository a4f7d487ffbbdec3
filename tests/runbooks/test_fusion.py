"""How the rankings are fused (tools.runbooks.index.Fusion), on tiny corpora with the
model-free hashing embedding: the exact-word-form vote and the whole-runbook vote each
decide a case the other rankings leave to chance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tools.runbooks.index import Fusion, RunbookIndex

# Both say "reconcile ... object"; only the second in the query's own word forms. The first
# is shorter, so stemmed BM25 and the (stemmed, hashed) embedding both put it first.
STEMS = {
    "sync.md": "# Operator sync\n\n## Meaning\n\nThe controller cannot reconcile an object.\n",
    "lag.md": (
        "# Operator lag\n\n## Meaning\n\nThe controller keeps reconciling objects, "
        "but more slowly than they change.\n"
    ),
}


def _sources(index: RunbookIndex, query: str) -> list[str]:
    return [h.source.split("/", 1)[1] for h in index.search(query, k=5, include_weak=True)]


def test_the_query_s_own_word_forms_break_a_stemmed_tie(
    write_tree: Callable[[dict[str, str | bytes]], Path], hashing_index: RunbookIndex
) -> None:
    hashing_index.ingest([write_tree(STEMS)], progress=False)
    hashing_index.fusion = Fusion(exact=0.0)
    assert _sources(hashing_index, "reconciling objects")[0] == "sync.md"
    hashing_index.fusion = Fusion()
    assert _sources(hashing_index, "reconciling objects")[0] == "lag.md"


# The same best section in two runbooks; only the second also covers the query's last word
# (in another section), so only the whole-runbook vote can tell them apart.
SPREAD = {
    "a.md": "# Queue\n\n## Meaning\n\nThe queue backlog grows.\n",
    "b.md": (
        "# Queue\n\n## Meaning\n\nThe queue backlog grows.\n\n"
        "## Diagnosis\n\nFind the stuck consumer.\n"
    ),
}


def test_a_runbook_covering_the_whole_query_wins_a_tie_between_sections(
    write_tree: Callable[[dict[str, str | bytes]], Path], hashing_index: RunbookIndex
) -> None:
    hashing_index.ingest([write_tree(SPREAD)], progress=False)
    hashing_index.fusion = Fusion(runbook=0.0)
    assert _sources(hashing_index, "queue backlog consumer")[:2] == ["a.md", "b.md"]
    hashing_index.fusion = Fusion()
    assert _sources(hashing_index, "queue backlog consumer")[:2] == ["b.md", "a.md"]
