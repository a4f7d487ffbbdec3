"""How the rankings are fused (tools.runbooks.fusion.Fusion), on tiny corpora with the
model-free hashing embedding: the exact-word-form vote and the whole-runbook vote each
decide a case the other rankings leave to chance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tools.runbooks.fusion import Fusion
from tools.runbooks.index import RunbookIndex
from tools.runbooks.tool import format_hits

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


def test_relevance_falls_in_rank_order_where_similarity_does_not(
    write_tree: Callable[[dict[str, str | bytes]], Path], hashing_index: RunbookIndex
) -> None:
    """Both corpora rank a runbook first whose best passage is the less similar one; the
    `relevance` of each hit (fused score over the top hit's) is what the list is sorted by."""
    for corpus, query in ((STEMS, "reconciling objects"), (SPREAD, "queue backlog consumer")):
        hashing_index.ingest([write_tree(corpus)], progress=False)
        hits = hashing_index.search(query, k=2, include_weak=True)
        assert hits[0].score < hits[1].score, query
        assert hits[0].relevance == 1.0 > hits[1].relevance > 0, query
        text = format_hits(query, hits)
        assert f"relevance {hits[0].relevance:.2f})" in text.splitlines()[1]
        assert "score" not in text
        hashing_index.rebuild()


def test_an_alert_named_in_the_query_has_full_relevance(
    write_tree: Callable[[dict[str, str | bytes]], Path], hashing_index: RunbookIndex
) -> None:
    hashing_index.ingest([write_tree({**STEMS, "alert.md": ALERTED})], progress=False)
    hits = hashing_index.search("OperatorStuck reconciling objects", k=3, include_weak=True)
    assert hits[0].source.endswith("alert.md") and hits[0].match == "alert"
    assert hits[0].relevance == 1.0 and all(h.relevance <= 1.0 for h in hits)


ALERTED = "---\nalerts: [OperatorStuck]\n---\n# Operator stuck\n\n## Meaning\n\nIt waits.\n"
