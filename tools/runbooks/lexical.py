"""The lexical half of hybrid search: BM25 over runbook texts (bm25s, Snowball stemming).

Local Chroma has no keyword index, so these are built in memory from the chunk texts the
collection holds (rebuilt when the collection's generation changes). bm25s is a maintained,
numpy-only implementation; stemming and CamelCase expansion let "filling up" meet
"FillingUp" and "reloads" meet "reload". The same class without stemming gives the
exact-word-form view the fusion also uses ("reconciling" meets only "reconciling").

`coverage` answers a different question than the BM25 score: how much of the query's
information (IDF-weighted words) a chunk contains. It is comparable across queries, so it
can say "this section really matches" for short, exact queries ("anthropic 429") that a
small embedding model does not understand.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from knowledge.plaintext import expand_identifiers


@lru_cache(maxsize=1)
def _english_stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=512)
def _query_words(query: str, stem: bool) -> tuple[str, ...]:
    """A query's words without English stop words (stemmed if `stem`), each once. Cached:
    one search reads the same query in four lexical views (scores and coverage)."""
    import bm25s

    words = bm25s.tokenize(
        [expand_identifiers(query)],
        stopwords="en",
        stemmer=_english_stemmer() if stem else None,
        show_progress=False,
        return_ids=False,
    )[0]
    return tuple(dict.fromkeys(words))


class LexicalIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over `texts`, English stop words removed;
    words are Snowball-stemmed unless `stem=False`."""

    def __init__(self, texts: Sequence[str], stem: bool = True) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG at import; its progress chatter is not ours to show
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._stem = stem
        self.size = len(texts)
        self._model = None
        self._words: list[frozenset[str]] = []
        self._df: dict[str, int] = {}
        if texts:
            # tokenized once: the BM25 model indexes the ids, the coverage reads the words
            tokenized = bm25s.tokenize(
                [expand_identifiers(t) for t in texts],
                stopwords="en",
                stemmer=_english_stemmer() if stem else None,
                show_progress=False,
            )
            word_of = {i: w for w, i in tokenized.vocab.items()}
            self._words = [frozenset(word_of[i] for i in ids) for ids in tokenized.ids]
            self._df = Counter(word for words in self._words for word in words)
            model = bm25s.BM25()  # Lucene variant, k1=1.5, b=0.75
            model.index(tokenized, show_progress=False)
            self._model = model

    def query_words(self, query: str) -> list[str]:
        return list(_query_words(query, self._stem))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query` (zeros when no query word is indexed)."""
        import numpy as np

        if self._model is None:
            return np.zeros(0, dtype=np.float32)
        known = [w for w in self.query_words(query) if w in self._model.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def idf(self, word: str) -> float:
        df = self._df.get(word, 0)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

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
