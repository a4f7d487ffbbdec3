"""The lexical half of hybrid search: BM25 over runbook texts (Snowball stemming).

Local Chroma has no keyword index, so these are built in memory from the chunk texts the
collection holds (rebuilt when the collection's generation changes). Stemming and CamelCase
expansion let "filling up" meet "FillingUp" and "reloads" meet "reload". The same class
without stemming gives the exact-word-form view the fusion also uses ("reconciling" meets
only "reconciling").

The BM25 here is our own, a few dozen lines over numpy: it reproduces bm25s 0.3 (Lucene
variant, k1=1.5, b=0.75; `bm25s.tokenize` with `stopwords="en"` and the PyStemmer
stemmer), score for score in float32 (tests/runbooks/test_lexical_bm25s.py compares the
two). bm25s imports scipy.sparse when imported, about 25 MiB resident in the server, and a
corpus of a few hundred chunks needs no sparse-matrix library. `STOPWORDS_EN`, the token
pattern and the score formulas come from bm25s (https://github.com/xhluca/bm25s,
Copyright (c) 2024 Xing Han Lu, MIT License), whose English list is in turn NLTK's short
English list; bm25s stays a dev dependency for that test and bench/retrieval.py.

`coverage` answers a different question than the BM25 score: how much of the query's
information (IDF-weighted words) a chunk contains. It is comparable across queries, so it
can say "this section really matches" for short, exact queries ("anthropic 429") that a
small embedding model does not understand.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from knowledge.plaintext import expand_identifiers

K1 = 1.5
B = 0.75

# bm25s.stopwords.STOPWORDS_EN (MIT, see the module docstring), what `stopwords="en"` removes
STOPWORDS_EN: tuple[str, ...] = (
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
)  # fmt: skip
_STOP = frozenset(STOPWORDS_EN)

# bm25s.tokenize's default token_pattern (scikit-learn's CountVectorizer): words of two or
# more word characters; linear in the text's length
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _english_stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str, stem: bool = True) -> list[str]:
    """`text`'s words as bm25s.tokenize gives them: lower-cased, English stop words removed,
    Snowball-stemmed if `stem` (identifiers are expanded by the caller)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOP]
    if stem and words:
        return list(_english_stemmer().stemWords(words))
    return words


@lru_cache(maxsize=512)
def _query_words(query: str, stem: bool) -> tuple[str, ...]:
    """A query's words without English stop words (stemmed if `stem`), each once. Cached:
    one search reads the same query in four lexical views (scores and coverage)."""
    return tuple(dict.fromkeys(tokenize(expand_identifiers(query), stem)))


def _lucene_idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class LexicalIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over `texts`, English stop words removed;
    words are Snowball-stemmed unless `stem=False`.

    Stored like a compressed sparse column matrix in three flat arrays: the chunks that
    contain word `c` are `_rows[_start[c]:_start[c + 1]]` and the word's BM25 weight in
    each is at the same places of `_weights`."""

    def __init__(self, texts: Sequence[str], stem: bool = True) -> None:
        self._stem = stem
        self.size = len(texts)
        self._words: list[frozenset[str]] = []
        self._df: dict[str, int] = {}
        self._column: dict[str, int] = {}
        self._rows: Any = None
        self._weights: Any = None
        self._start: list[int] = [0]
        if not texts:
            return
        import numpy as np

        tokens = [tokenize(expand_identifiers(t), stem) for t in texts]
        counts = [Counter(words) for words in tokens]
        self._words = [frozenset(c) for c in counts]
        self._df = Counter(word for words in self._words for word in words)
        self._column = {word: c for c, word in enumerate(self._df)}
        n = self.size
        average = sum(len(words) for words in tokens) / n
        # float32 like bm25s: idf rounded to float32, each weight idf * tf part rounded once
        idf = {w: float(np.float32(_lucene_idf(df, n))) for w, df in self._df.items()}
        rows: list[list[int]] = [[] for _ in self._column]
        weights: list[list[float]] = [[] for _ in self._column]
        for row, (words, count) in enumerate(zip(tokens, counts, strict=True)):
            if not words:
                continue  # (and `average` may be 0: no chunk has a word)
            norm = K1 * ((1 - B) + B * len(words) / average)
            for word, tf in count.items():
                column = self._column[word]
                rows[column].append(row)
                weights[column].append(idf[word] * (tf / (norm + tf)))
        for column_rows in rows:
            self._start.append(self._start[-1] + len(column_rows))
        self._rows = np.fromiter(
            (r for column_rows in rows for r in column_rows), dtype=np.int32, count=self._start[-1]
        )
        self._weights = np.fromiter(
            (w for column in weights for w in column), dtype=np.float32, count=self._start[-1]
        )

    def query_words(self, query: str) -> list[str]:
        return list(_query_words(query, self._stem))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query` (zeros when no query word is indexed)."""
        import numpy as np

        scores = np.zeros(self.size, dtype=np.float32)
        for word in self.query_words(query):
            column = self._column.get(word)
            if column is not None:
                start, end = self._start[column], self._start[column + 1]
                # float32 sums in query-word order, as bm25s adds them
                scores[self._rows[start:end]] += self._weights[start:end]
        return scores

    def idf(self, word: str) -> float:
        return _lucene_idf(self._df.get(word, 0), self.size)

    def coverage(self, query: str, positions: Sequence[int]) -> list[float]:
        """Share of the query's IDF weight found in each chunk of `positions` (0..1). Words
        the corpus never uses count fully against it: they are what the query is about."""
        words = self.query_words(query)
        weights = {w: self.idf(w) for w in words}
        total = sum(weights.values())
        out: list[float] = []
        for position in positions:
            if not total or not 0 <= position < self.size:
                out.append(0.0)
                continue
            chunk = self._words[position]
            out.append(sum(weight for w, weight in weights.items() if w in chunk) / total)
        return out
