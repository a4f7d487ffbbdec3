"""Runbook retrieval on a real corpus: opsbot's hybrid search against plain BM25.

Corpus: the 108 prometheus-operator runbooks in tests/fixtures/runbooks/prometheus-operator/.
Queries: the 99 kube-prometheus alerts that have a runbook there
(kube-prometheus-alert-runbook-map.csv), each asked twice: with its `description` and with
its `summary` (first rule of that alert; kube-prometheus-alerts.yml). The alert name is
removed from the text, and so are Go template expressions (`{{ $labels.pod }}`), whose
values only exist in a firing alert. A query is right at k when the mapped runbook is among
the first k distinct runbooks returned.

Printed per method and query set: recall@1, recall@3, MRR (over the first 10) and in-process
search latency p50/p95. Baselines, measured in the same run over the same files:
- "BM25 plain (sections)": bm25s defaults (Lucene k1=1.5 b=0.75, lower-case, English stop
  words, no stemming) over the same section texts opsbot indexes; a runbook ranks by its best
  section;
- "BM25 plain (files)": the same over whole files.
Also printed: the rankings the hybrid fuses, each alone; the previous fusion weights
(k=60, no exact-form or whole-runbook vote) for comparison; the ceiling set by alerts that
share the same query text; exact-alert-name lookups; and the score distributions behind the
"no runbook matches" floor. No assertions: tests/runbooks holds the floors.

`--held-out` guards the fusion weights against overfitting: every weight combination of a
small grid is scored, the best is chosen on one half of the alerts (even/odd positions in
the map, then 50 random halves) and reported on the other half, beside the BM25 baselines
on that same half.

The queries and corpus are in retrieval_corpus.py, the figures and the BM25 baseline in
retrieval_scoring.py, the held-out check in retrieval_held_out.py.

Usage: .venv/bin/python -m bench.retrieval [--embedding minilm-int8] [--with-shipped]
       [--held-out]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.retrieval_corpus import CORPUS, OFF_TOPIC, ceiling, corpus_items, load_queries  # noqa: E402
from bench.retrieval_held_out import held_out  # noqa: E402
from bench.retrieval_scoring import (  # noqa: E402
    QUERY_SETS,
    PlainBM25,
    by_score,
    distinct,
    evaluate,
    quality,
    rank_of,
)
from knowledge import SHIPPED_RUNBOOKS  # noqa: E402
from tools.runbooks.fusion import Fusion  # noqa: E402
from tools.runbooks.index import LEXICAL_STRONG, RunbookIndex  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embedding", default="minilm-int8")
    parser.add_argument(
        "--with-shipped", action="store_true", help="also index knowledge/runbooks as distractors"
    )
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="choose fusion weights on half of the alerts, report the other half (about 1 min)",
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 2

    paths = [CORPUS] + ([SHIPPED_RUNBOOKS] if args.with_shipped else [])
    queries = load_queries(CORPUS.name)
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        index = RunbookIndex(Path(tmp), embedding=args.embedding)
        started = time.perf_counter()
        report = index.ingest(paths, progress=False)
        ingest_s = time.perf_counter() - started
        again = time.perf_counter()
        index.ingest(paths, progress=False)
        reingest_s = time.perf_counter() - again
        print(f"corpus: {', '.join(str(p) for p in paths)}")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
        print(
            f"ingest ({args.embedding}): {len(report.added)} files, {report.chunks_written} sections, "
            f"{report.passages_written} passages, {len(report.skipped)} skipped, {ingest_s:.1f}s; "
            f"unchanged re-run {reingest_s * 1000:.0f} ms"
        )
        print(
            f"queries: {len(queries)} alerts x (description, summary); alert names and templates removed"
        )
        for label, column in (("descriptions", 2), ("summaries", 3)):
            at1, at3 = ceiling(queries, column)
            print(
                f"  ceiling ({label}: identical texts for different alerts): r@1 {at1:.3f} r@3 {at3:.3f}"
            )

        index.search("warm up the model and the snapshot", k=3)  # load outside the timings

        def hybrid(query: str) -> list[str]:
            return [h.source for h in index.search(query, k=10, include_weak=True)]

        snapshot = index._current()

        def dense_only(query: str) -> list[str]:
            from knowledge.plaintext import expand_identifiers

            vector = index.embedder.embed([expand_identifiers(query)])[0]
            nearest = index.store.nearest_passages(vector, 100)
            return distinct(snapshot.metas[snapshot.position[c]]["source"] for c, _ in nearest)

        def lexical_view(view: object, rows: list[str]) -> Callable[[str], list[str]]:
            def search(query: str) -> list[str]:
                return by_score(view.scores(query), rows)  # type: ignore[attr-defined]

            return search

        chunk_sources = [str(m["source"]) for m in snapshot.metas]
        runbook_sources = [
            next(str(m["source"]) for m in snapshot.metas if m["doc_id"] == doc_id)
            for doc_id in snapshot.runbook_ids
        ]
        sections, files = corpus_items(paths)
        print("\nmethod                               query set    figures")
        ours = evaluate("opsbot hybrid (weighted RRF)", hybrid, queries)
        evaluate("  dense (passages)", dense_only, queries)
        evaluate("  BM25 sections, stemmed", lexical_view(snapshot.lexical, chunk_sources), queries)
        evaluate(
            "  BM25 sections, exact forms", lexical_view(snapshot.exact, chunk_sources), queries
        )
        evaluate(
            "  BM25 whole runbooks, stemmed",
            lexical_view(snapshot.runbooks, runbook_sources),
            queries,
        )
        shipped = index.fusion
        index.fusion = Fusion(k=60, exact=0, runbook=0)
        evaluate("  previous weights (k=60, 2 views)", hybrid, queries)
        index.fusion = shipped
        baselines = {
            "BM25 sections": evaluate(
                "BM25 plain (sections) [baseline]", PlainBM25(sections), queries
            ),
            "BM25 files": evaluate("BM25 plain (files)    [baseline]", PlainBM25(files), queries),
        }
        print(f"  (load average now {os.getloadavg()[0]:.2f}; latency figures rise with it)")
        for label, _column in QUERY_SETS:
            lead = [
                f"{name} {o - max(quality(b[label])[k] for b in baselines.values()):+.3f}"
                for k, (name, o) in enumerate(
                    zip(("r@1", "r@3", "MRR"), quality(ours[label]), strict=True)
                )
            ]
            print(f"  lead over the better BM25 baseline, {label}: {', '.join(lead)}")

        named = [rank_of(q[1], [h.source for h in index.search(q[0], k=3)]) for q in queries]
        print(
            f"\nexact alert name as the query: {sum(1 for r in named if r == 1)}/{len(named)} first"
        )

        top_in = [
            (index.search(q[column], k=1, include_weak=True) or [None])[0]
            for q in queries
            for column in (2, 3)
        ]
        in_scores = sorted(h.score for h in top_in if h is not None)
        weak_in = sum(1 for h in top_in if h is None or not h.strong)
        off_hits = [index.search(q, k=3, include_weak=True) for q in OFF_TOPIC]
        off_scores = sorted(max(h.score for h in hits) for hits in off_hits if hits)
        off_cover = sorted(max(h.coverage for h in hits) for hits in off_hits if hits)
        answered = [
            q for q, hits in zip(OFF_TOPIC, off_hits, strict=True) if any(h.strong for h in hits)
        ]
        print(
            f"no-match floor ({index.embedder.name}: similarity {index.min_score:.2f} or word "
            f"coverage {LEXICAL_STRONG:.2f}):\n  top-1 similarity of the {len(in_scores)} alert "
            f"queries: min {in_scores[0]:.3f} p5 {np.percentile(in_scores, 5):.3f} median "
            f"{np.median(in_scores):.3f}; best of {len(OFF_TOPIC)} off-topic questions: max "
            f"{off_scores[-1]:.3f} median {np.median(off_scores):.3f} (coverage max {off_cover[-1]:.2f})"
        )
        print(
            f"  alert queries whose top hit is weak: {weak_in}/{len(top_in)}; off-topic "
            f"questions given a runbook: {len(answered)}/{len(OFF_TOPIC)} {answered or ''}"
        )
        for label, _column in QUERY_SETS:
            misses = [
                f"{q[0]} ({r or '>10'})"
                for q, r in zip(queries, ours[label], strict=True)
                if r != 1
            ]
            print(f"\n{label} not first ({len(misses)}): {', '.join(misses)}")
        if args.held_out:
            held_out(index, queries, baselines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
