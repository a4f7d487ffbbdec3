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
Also printed: the two halves of the hybrid alone, the ceiling set by alerts that share the
same query text, exact-alert-name lookups, and the score distributions behind the
"no runbook matches" floor. No assertions: tests/runbooks holds the floors.

Usage: .venv/bin/python bench/retrieval.py [--embedding minilm-int8] [--with-shipped]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge import SHIPPED_RUNBOOKS  # noqa: E402
from knowledge.ingest import SourceFile, discover, load, read_bytes  # noqa: E402
from knowledge.markdown import search_text  # noqa: E402
from tools.runbooks.index import LEXICAL_STRONG, RunbookIndex  # noqa: E402

SHARED = ROOT / "tests" / "fixtures"
CORPUS = SHARED / "runbooks" / "prometheus-operator"
ALERTS = SHARED / "alerts" / "kube-prometheus-alerts.yml"
MAP = SHARED / "alerts" / "kube-prometheus-alert-runbook-map.csv"
TEMPLATE = re.compile(r"\{\{.*?\}\}")

# Questions no runbook here answers: the "no good match" floor must reject them.
OFF_TOPIC = [
    "how do I bake sourdough bread",
    "what is the capital of France",
    "book a meeting room for tomorrow at 10",
    "who won the football match yesterday",
    "write a haiku about autumn leaves",
    "convert 30 degrees celsius to fahrenheit",
    "recommend a good science fiction novel",
    "what time zone is Tokyo in",
    "how do I file my expense report",
    "translate good morning into Spanish",
    "what is the best pizza topping",
    "plan a team offsite in Lisbon",
    "how many vacation days do I have left",
    "what's the weather like in Berlin",
    "explain the rules of chess",
    "tell me a joke",
    # ops-flavoured, but no runbook here covers them
    "rotate the database password",
    "ssh keeps disconnecting",
    "update my jira ticket",
    "set up a new laptop for the new hire",
    "reset my VPN token",
    "order more printer toner",
]


def load_queries(corpus_label: str) -> list[tuple[str, str, str, str]]:
    """(alert, gold source, description, summary) for each alert with a local runbook."""
    first: dict[str, dict[str, str]] = {}
    for document in yaml.safe_load_all(ALERTS.read_text()):
        if not document:
            continue
        for group in document["spec"]["groups"]:
            for rule in group["rules"]:
                if "alert" in rule and rule["alert"] not in first:
                    first[rule["alert"]] = rule.get("annotations", {})
    queries: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    with MAP.open() as handle:
        for row in csv.DictReader(handle):
            alert, local = row["alert"], row["local_runbook"]
            if not local or alert in seen:
                continue
            seen.add(alert)
            gold = f"{corpus_label}/{local.split('prometheus-operator/', 1)[1]}"
            notes = first[alert]
            queries.append(
                (alert, gold, clean(notes["description"], alert), clean(notes["summary"], alert))
            )
    return queries


def clean(text: str, alert: str) -> str:
    text = re.sub(re.escape(alert), " ", text, flags=re.IGNORECASE)
    return " ".join(TEMPLATE.sub(" ", text).split())


def rank_of(gold: str, ranked: list[str]) -> int | None:
    return ranked.index(gold) + 1 if gold in ranked else None


def figures(ranks: list[int | None], latencies: list[float]) -> str:
    n = len(ranks)
    r1 = sum(1 for r in ranks if r == 1) / n
    r3 = sum(1 for r in ranks if r is not None and r <= 3) / n
    mrr = sum(1.0 / r for r in ranks if r is not None) / n
    p50 = statistics.median(latencies) * 1000
    p95 = float(np.percentile(latencies, 95)) * 1000
    return f"r@1 {r1:.3f}  r@3 {r3:.3f}  MRR {mrr:.3f}  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms"


def evaluate(
    name: str, search: Callable[[str], list[str]], queries: list[tuple[str, str, str, str]]
) -> dict[str, list[int | None]]:
    out: dict[str, list[int | None]] = {}
    for label, column in (("descriptions", 2), ("summaries", 3)):
        ranks: list[int | None] = []
        latencies: list[float] = []
        for query in queries:
            started = time.perf_counter()
            ranked = search(query[column])
            latencies.append(time.perf_counter() - started)
            ranks.append(rank_of(query[1], ranked))
        out[label] = ranks
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
        scores = self.model.get_scores(words)
        ranked: list[str] = []
        for i in np.argsort(-scores, kind="stable"):
            if scores[i] <= 0:
                break
            if self.sources[i] not in ranked:
                ranked.append(self.sources[i])
            if len(ranked) == 10:
                break
        return ranked


def corpus_items(paths: list[Path]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(source, section text) and (source, whole file text) for the baselines."""
    sections: list[tuple[str, str]] = []
    files: list[tuple[str, str]] = []
    scopes, _ = discover(paths)
    for scope in scopes:
        for path in scope.files:
            file = SourceFile(scope.root, path)
            data = read_bytes(file)
            if not isinstance(data, bytes):
                continue
            loaded = load(file, data)
            if not hasattr(loaded, "chunks"):
                continue
            for chunk in loaded.chunks:
                sections.append(
                    (file.source, search_text(chunk.context, chunk.section, chunk.text))
                )
            files.append((file.source, data.decode("utf-8", "replace")))
    return sections, files


def ceiling(queries: list[tuple[str, str, str, str]], column: int) -> tuple[float, float]:
    """Best possible recall@1/@3 when several alerts share one query text."""
    from collections import Counter

    groups: dict[str, Counter[str]] = {}
    for query in queries:
        groups.setdefault(query[column].lower(), Counter())[query[1]] += 1
    at1 = sum(max(golds.values()) for golds in groups.values()) / len(queries)
    at3 = sum(sum(n for _, n in golds.most_common(3)) for golds in groups.values()) / len(queries)
    return at1, at3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embedding", default="minilm-int8")
    parser.add_argument(
        "--with-shipped", action="store_true", help="also index knowledge/runbooks as distractors"
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
            from knowledge.markdown import expand_identifiers

            vector = index.embedder.embed([expand_identifiers(query)])[0]
            ranked: list[str] = []
            for chunk_id, _ in index.store.nearest_passages(vector, 100):
                source = snapshot.metas[snapshot.position[chunk_id]]["source"]
                if source not in ranked:
                    ranked.append(source)
            return ranked[:10]

        def lexical_only(query: str) -> list[str]:
            scores = snapshot.lexical.scores(query)
            ranked: list[str] = []
            for i in np.argsort(-scores, kind="stable"):
                source = snapshot.metas[int(i)]["source"]
                if scores[i] > 0 and source not in ranked:
                    ranked.append(source)
                if len(ranked) == 10:
                    break
            return ranked

        sections, files = corpus_items(paths)
        print("\nmethod                               query set    figures")
        ours = evaluate("opsbot hybrid (dense+BM25, RRF)", hybrid, queries)
        evaluate("  its dense half (passages)", dense_only, queries)
        evaluate("  its BM25 half (stemmed)", lexical_only, queries)
        evaluate("BM25 plain (sections) [baseline]", PlainBM25(sections), queries)
        evaluate("BM25 plain (files)    [baseline]", PlainBM25(files), queries)
        print(f"  (load average now {os.getloadavg()[0]:.2f}; latency figures rise with it)")

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
        misses = [q[0] for q, r in zip(queries, ours["descriptions"], strict=True) if r != 1]
        print(f"\ndescriptions not first ({len(misses)}): {', '.join(misses)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
