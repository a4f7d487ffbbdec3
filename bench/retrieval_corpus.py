"""The retrieval bench's queries and corpus: the 99 kube-prometheus alerts with a runbook in
tests/fixtures/runbooks/prometheus-operator/, their texts cleaned of the alert name and of Go
templates, the off-topic questions, the baselines' documents and the ceiling set by alerts
that share one text. Used by bench/retrieval.py and tests/runbooks."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import yaml

from knowledge.ingest import SourceFile, discover, load, read_bytes

ROOT = Path(__file__).resolve().parent.parent
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
    groups: dict[str, Counter[str]] = {}
    for query in queries:
        groups.setdefault(query[column].lower(), Counter())[query[1]] += 1
    at1 = sum(max(golds.values()) for golds in groups.values()) / len(queries)
    at3 = sum(sum(n for _, n in golds.most_common(3)) for golds in groups.values()) / len(queries)
    return at1, at3
