"""Entity extraction for the offline planner, against the names the registries really hold."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphs.offline.text import distance, max_typos, ngrams, normalise

LABEL_SYNONYMS = {
    "production": "production",
    "prod": "production",
    "prd": "production",
    "live": "production",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "champion": "champion",
    "challenger": "challenger",
    "canary": "canary",
    "latest": "latest",
}


@dataclass(frozen=True)
class Vocabulary:
    """Names the planner can recognise, read from the registries and the configuration."""

    models: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    metrics: frozenset[str] = frozenset()  # metric names Prometheus holds


@dataclass
class Entities:
    models: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    incidents: list[int] = field(default_factory=list)
    days: int | None = None
    count: int | None = None  # "top 3 processes", "5 biggest"
    urls: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)  # token positions consumed by names


_VERSION = re.compile(r"\b(?:v|ver\.?\s*|version\s*#?\s*)(\d{1,6})\b")
_BARE_NUMBERS_AFTER = re.compile(
    r"\b(?:versions?|between|from|to|and|vs\.?|versus)\s+v?(\d{1,6})\b(?:\s*(?:and|to|vs\.?|versus|,)\s*v?(\d{1,6})\b)?"
)
_PID = re.compile(r"\b(?:pid|process(?:\s+id)?)\s*#?\s*(\d{1,9})\b")
_INCIDENT = re.compile(r"\b(?:incident|inc)[\s#-]*(\d{1,9})\b|(?<![\w/])#(\d{1,9})\b")
_DAYS = re.compile(
    r"\b(?:older\s+than|over|more\s+than|>)\s*(\d{1,4})\s*(?:d|days?)\b|\b(\d{1,4})\s*(?:d|days?)\s+old\b"
)
_COUNT = re.compile(
    r"\b(?:top|first|biggest|largest|busiest)\s+(\d{1,3})\b|\b(\d{1,3})\s+(?:biggest|largest|busiest|processes|procs)\b"
)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10}  # fmt: skip
_VERSION_WORD = re.compile(r"\b(?:v|ver\.?|version)\s+(" + "|".join(_NUMBER_WORDS) + r")\b")
_URL = re.compile(r"https?://[^\s<>|]+")


def _match_names(words: list[str], names: tuple[str, ...], used: set[int]) -> list[str]:
    """Names found in the words (exact, then within a small edit distance), longest first."""
    if not names:
        return []
    lowered = {n.lower(): n for n in names}
    found: list[str] = []
    for start, end, text in ngrams(words, 4):
        span = set(range(start, end))
        if span & used:
            continue
        name = lowered.get(text)
        if name is None and len(text) >= 5:
            limit = max_typos(text)
            best = None
            for candidate_lower, candidate in lowered.items():
                if abs(len(candidate_lower) - len(text)) > limit:
                    continue
                if distance(text, candidate_lower, limit) <= limit:
                    best = candidate
                    break
            name = best
        if name is not None and name not in found:
            found.append(name)
            used.update(span)
    return found


def extract(text: str, words: list[str], vocab: Vocabulary) -> Entities:
    found = Entities()
    low = normalise(text)
    found.urls = _URL.findall(text)
    used: set[int] = set()
    # the most specific registries first, so "support-triage" is a prompt, not two keywords
    found.models = _match_names(words, vocab.models, used)
    found.prompts = _match_names(words, vocab.prompts, used)
    found.endpoints = _match_names(words, vocab.endpoints, used)
    found.services = _match_names(words, vocab.services, used)
    found.scripts = _match_names(words, vocab.scripts, used)
    found.used = used
    for match in _VERSION.finditer(low):
        found.versions.append(int(match.group(1)))
    for match in _VERSION_WORD.finditer(low):
        found.versions.append(_NUMBER_WORDS[match.group(1)])  # "version two"
    if not found.versions:
        for match in _BARE_NUMBERS_AFTER.finditer(low):
            found.versions.extend(int(g) for g in match.groups() if g)
    labels = set(vocab.labels) | set(LABEL_SYNONYMS)
    for word in words:
        if word in labels:
            label = LABEL_SYNONYMS.get(word, word)
            if label not in found.labels:
                found.labels.append(label)
    found.paths = [w for w in words if w.startswith("/") and len(w) > 1] or (
        ["/"] if re.search(r"(?:^|\s)/(?:\s|$|\?)", low) else []
    )
    found.pids = [int(m.group(1)) for m in _PID.finditer(low)]
    found.incidents = [int(m.group(1) or m.group(2)) for m in _INCIDENT.finditer(low)]
    count = _COUNT.search(low)
    if count:
        found.count = int(count.group(1) or count.group(2))
    days = _DAYS.search(low)
    if days:
        found.days = int(days.group(1) or days.group(2))
    return found
