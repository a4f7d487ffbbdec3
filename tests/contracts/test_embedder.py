"""`tools.runbooks.embedding.Embedder`: every embedder returns L2-normalised float32 rows,
one per text, the same vector for the same text, under a stable name and a score floor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.emulators.embeddings import serve_embeddings_api
from tools.runbooks.embedding import (
    ChromaOnnxEmbedder,
    Embedder,
    HashingEmbedder,
    OpenAICompatibleEmbedder,
    make_embedder,
)
from tools.runbooks.minilm import MiniLMInt8Embedder

TEXTS = ["the disk is filling up", "restart the web service", "model drift on bike-demand"]


@pytest.fixture(params=["minilm-int8", "hashing", "chroma-onnx", "openai"])
def embedder(request: pytest.FixtureRequest) -> Iterator[Embedder]:
    if request.param == "openai":
        with serve_embeddings_api() as url:
            yield OpenAICompatibleEmbedder("text-embedding-3-small", base_url=url)
        return
    if request.param == "chroma-onnx":
        from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

        model = Path(ONNXMiniLM_L6_V2.DOWNLOAD_PATH) / ONNXMiniLM_L6_V2.EXTRACTED_FOLDER_NAME
        if not model.is_dir():  # never try: the first use would download it from the internet
            pytest.skip(f"chroma-onnx downloads its model on first use; it is not in {model}")
        yield ChromaOnnxEmbedder()
        return
    yield make_embedder(request.param)


def test_implementations_are_the_ones_make_embedder_builds() -> None:
    assert isinstance(make_embedder("minilm-int8"), MiniLMInt8Embedder)
    assert isinstance(make_embedder("hashing"), HashingEmbedder)
    assert isinstance(make_embedder("openai:m"), OpenAICompatibleEmbedder)


def test_name_and_score_floor(embedder: Embedder) -> None:
    assert isinstance(embedder.name, str) and embedder.name
    assert embedder.name == embedder.name.strip() and " " not in embedder.name  # collection key
    assert 0.0 < embedder.min_score < 1.0


def test_rows_are_float32_one_per_text_and_normalised(embedder: Embedder) -> None:
    rows = embedder.embed(TEXTS)
    assert isinstance(rows, np.ndarray) and rows.dtype == np.float32
    assert rows.ndim == 2 and rows.shape[0] == len(TEXTS) and rows.shape[1] > 0
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)


def test_same_text_same_vector_and_a_dot_product_is_a_cosine(embedder: Embedder) -> None:
    first = embedder.embed(TEXTS)
    again = embedder.embed(list(reversed(TEXTS)))[::-1]
    assert np.allclose(first, again, atol=1e-5)
    alone = embedder.embed(TEXTS[:1])
    assert np.allclose(alone[0], first[0], atol=1e-5)
    same = float(first[0] @ first[0])
    assert same == pytest.approx(1.0, abs=1e-5)
    assert -1.0 - 1e-5 <= float(first[0] @ first[1]) <= same


def test_no_texts_no_rows(embedder: Embedder) -> None:
    rows = embedder.embed([])
    assert isinstance(rows, np.ndarray) and rows.shape[0] == 0
