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

Usage: .venv/bin/python -m bench.retrieval [--embedding minilm-int8] [--with-shipped]
       [--held-out]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge import SHIPPED_RUNBOOKS  # noqa: E402
from knowledge.ingest import SourceFile, discover, load, read_bytes  # noqa: E402
from tools.runbooks.fusion import Fusion  # noqa: E402
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


# -- held-out check of the fusion weights ----------------------------------------------------
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
            sections.extend((file.source, chunk.search_text) for chunk in loaded.chunks)
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
