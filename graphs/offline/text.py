"""Text normalisation and fuzzy word matching for the offline planner.

People type fast at 3 a.m.: "whats hapening with the dsik?", "bike demand drfit". Tokens
are lower-cased, stripped of punctuation (paths and hyphenated names survive), and matched
to known words within a small edit distance that grows with word length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_TOKEN = re.compile(r"/[\w./-]*|[a-z0-9][a-z0-9_.:-]*[a-z0-9]|[a-z0-9]")
_CONTRACTIONS = {
    "what's": "what is",
    "whats": "what is",
    "how's": "how is",
    "hows": "how is",
    "it's": "it is",
    "isn't": "is not",
    "aren't": "are not",
    "don't": "do not",
    "can't": "cannot",
    "who's": "who is",
    "where's": "where is",
    "there's": "there is",
    "i'm": "i am",
}


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("`", " ")
    text = re.sub(r"<@[a-z0-9]+>", " ", text)  # Slack mentions
    for short, long in _CONTRACTIONS.items():
        text = re.sub(rf"(?<![\w']){re.escape(short)}(?![\w'])", long, text)
    return text


def tokens(text: str) -> list[str]:
    return [t.strip(".:-") or t for t in _TOKEN.findall(normalise(text))]


def max_typos(word: str) -> int:
    """Edits allowed for a word of this length: 0 up to 3 letters, 1 up to 7, then 2.
    Two edits on a 6-letter word already turn "report" into "revert"."""
    if len(word) <= 3:
        return 0
    if len(word) <= 7:
        return 1
    return 2


@lru_cache(maxsize=65536)
def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions), capped at limit + 1."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        best = current[0]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# Common words that must never be "corrected" into a keyword ("does" is not "docs").
COMMON_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "keep",
        "know",
        "let",
        "like",
        "look",
        "looks",
        "make",
        "many",
        "me",
        "more",
        "most",
        "my",
        "need",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "tell",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "way",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "today",
        "going",
        "seems",
        "seem",
        "goes",
        "went",
        "want",
        "wants",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
        "ok",
        "okay",
        "yes",
        "yeah",
        "right",
        "time",
        "times",
        "day",
        "days",
        "week",
        "still",
        "ever",
        "never",
        "again",
        "why",
    ]
)


class Lexicon:
    """Known words; `canonical(token)` maps a token to the closest known word, or itself."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(self.words):  # sorted: equally close words resolve the same way
            self._by_initial.setdefault(word[:1], []).append(word)
        self._cache: dict[str, str] = {}

    def canonical(self, token: str) -> str:
        if token in self.words or token in COMMON_WORDS or token.startswith("/") or token.isdigit():
            return token
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        limit = max_typos(token)
        best, best_distance = token, limit + 1
        if limit:
            # typos rarely hit the first letter and a transposition; check those words first
            candidates = self._by_initial.get(token[:1], []) + [
                w for w in self._by_initial.get(token[1:2], []) if len(token) > 1
            ]
            for word in candidates:
                cap = min(limit, max_typos(word))
                if abs(len(word) - len(token)) > cap or cap == 0:
                    continue
                d = distance(token, word, cap)  # cap + 1 means "further than cap"
                if d <= cap and d < best_distance:
                    best, best_distance = word, d
                    if d == 1:
                        break
        self._cache[token] = best
        return best


def ngrams(words: list[str], n_max: int = 4) -> Iterable[tuple[int, int, str]]:
    """(start, end, text) for every 1..n_max word window, joined by '-' and by ''."""
    for n in range(n_max, 0, -1):
        for start in range(len(words) - n + 1):
            window = words[start : start + n]
            yield start, start + n, "-".join(window)
            if n > 1:
                yield start, start + n, "".join(window)
                yield start, start + n, "_".join(window)
