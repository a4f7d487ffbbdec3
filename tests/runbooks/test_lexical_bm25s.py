"""Our BM25 (tools/runbooks/lexical.py) gives bm25s's scores, word for word and score for
score, on real corpora: the shipped runbooks and the prometheus-operator runbooks (as
sections and as whole files), for the 99 alert queries of bench/retrieval.py (descriptions
and summaries), its off-topic questions and some awkward strings; stemmed and exact forms.

bm25s is imported here only: it is a dev dependency, the server does not load it (and with
it scipy.sparse). The reference below is the LexicalIndex that used bm25s, unchanged.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from bench.retrieval_corpus import OFF_TOPIC, corpus_items, load_queries
from knowledge import SHIPPED_RUNBOOKS
from knowledge.plaintext import expand_identifiers
from tests.runbooks.conftest import CORPUS
from tools.runbooks.lexical import STOPWORDS_EN, LexicalIndex, tokenize

bm25s = pytest.importorskip("bm25s")

AWKWARD = [
    "",
    "the and of it",  # stop words only
    "a",  # one-letter words are no tokens
    "KubePodCrashLooping restart_service CrashLoopBackOff",
    "Disk /var is 93% FULL!!! filling-up   reloads reloading",
    "ÉTÉ Straße naïve café 東京 ошибка",  # non-ASCII word characters
    "anthropic 429 429 429 rate limit",
    "x_y__z 123 4567 v1.2.3 10.0.0.1:9090",
]


class Bm25sLexical:
    """The previous LexicalIndex's BM25 half: bm25s tokenize + BM25 (defaults: Lucene,
    k1=1.5, b=0.75), the same query words."""

    def __init__(self, texts: list[str], stem: bool) -> None:
        import Stemmer

        self.stemmer = Stemmer.Stemmer("english") if stem else None
        tokenized = bm25s.tokenize(
            [expand_identifiers(t) for t in texts],
            stopwords="en",
            stemmer=self.stemmer,
            show_progress=False,
        )
        word_of = {i: w for w, i in tokenized.vocab.items()}
        self.words = [frozenset(word_of[i] for i in ids) for ids in tokenized.ids]
        self.model = bm25s.BM25()
        self.model.index(tokenized, show_progress=False)

    def query_words(self, query: str) -> list[str]:
        words = bm25s.tokenize(
            [expand_identifiers(query)],
            stopwords="en",
            stemmer=self.stemmer,
            show_progress=False,
            return_ids=False,
        )[0]
        return list(dict.fromkeys(words))

    def scores(self, query: str) -> np.ndarray:
        known = [w for w in self.query_words(query) if w in self.model.vocab_dict]
        if not known:
            return np.zeros(len(self.words), dtype=np.float32)
        return np.asarray(self.model.get_scores(known), dtype=np.float32)


@cache
def corpora() -> dict[str, list[str]]:
    shipped_sections, shipped_files = corpus_items([SHIPPED_RUNBOOKS])
    operator_sections, operator_files = corpus_items([CORPUS])
    return {
        "shipped-sections": [t for _, t in shipped_sections],
        "shipped-files": [t for _, t in shipped_files],
        "operator-sections": [t for _, t in operator_sections],
        "operator-files": [t for _, t in operator_files],
    }


@cache
def queries() -> list[str]:
    alerts = load_queries(CORPUS.name)
    assert len(alerts) == 99
    return [q for _, _, description, summary in alerts for q in (description, summary)]


def test_stop_words_are_bm25s_english_list() -> None:
    from bm25s.stopwords import STOPWORDS_EN as THEIRS

    assert tuple(THEIRS) == STOPWORDS_EN


@pytest.mark.parametrize("stem", [True, False], ids=["stemmed", "exact"])
@pytest.mark.parametrize(
    "corpus", ["shipped-sections", "shipped-files", "operator-sections", "operator-files"]
)
def test_scores_equal_bm25s_on_real_corpora(corpus: str, stem: bool) -> None:
    texts = corpora()[corpus]
    assert len(texts) >= 10, corpus
    ours, theirs = LexicalIndex(texts, stem=stem), Bm25sLexical(texts, stem=stem)
    assert ours.size == len(theirs.words)
    assert ours._words == theirs.words  # what coverage reads
    asked = [*queries(), *OFF_TOPIC, *AWKWARD, *texts[:5]]
    for query in asked:
        assert ours.query_words(query) == theirs.query_words(query), query
        got, want = ours.scores(query), theirs.scores(query)
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5, err_msg=query)
    # and the ranking the fusion reads is the same (ties broken alike)
    for query in queries():
        got, want = ours.scores(query), theirs.scores(query)
        assert list(np.argsort(-got, kind="stable")[:10]) == list(
            np.argsort(-want, kind="stable")[:10]
        ), query


@pytest.mark.parametrize("text", AWKWARD)
def test_tokenize_equals_bm25s_tokenize(text: str) -> None:
    import Stemmer

    for stemmer in (Stemmer.Stemmer("english"), None):
        want = bm25s.tokenize(
            [text], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False
        )[0]
        assert tokenize(text, stem=stemmer is not None) == want


def test_empty_corpus_and_corpus_without_words() -> None:
    assert LexicalIndex([]).scores("disk full").shape == (0,)
    blank = LexicalIndex(["", "a", "the of"])
    assert blank.scores("disk full").tolist() == [0.0, 0.0, 0.0]
    assert blank.coverage("disk full", [0, 1, 2]) == [0.0, 0.0, 0.0]


def test_idf_is_lucene() -> None:
    index = LexicalIndex(["disk full", "disk ok", "memory"], stem=False)
    assert index.idf("disk") == pytest.approx(np.log(1 + (3 - 2 + 0.5) / (2 + 0.5)))
    assert index.idf("unknown") == pytest.approx(np.log(1 + 3.5 / 0.5))
