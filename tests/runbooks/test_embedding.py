"""Embeddings: the offline default, the model-free fallback, an OpenAI-compatible API served
by a local HTTP server, and the errors that name what to do."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import tools.runbooks.minilm as minilm
from tests.emulators.embeddings import EmbeddingsAPI, serve_embeddings_api
from tools.runbooks.client import chroma_settings, make_client
from tools.runbooks.embedding import (
    EmbeddingError,
    HashingEmbedder,
    OpenAICompatibleEmbedder,
    chroma_embedding_function,
    make_embedder,
)
from tools.runbooks.minilm import MiniLMInt8Embedder


def test_unknown_embedding_names_the_allowed_ones() -> None:
    with pytest.raises(
        EmbeddingError,
        match=r"unknown embedding 'bert'; allowed: minilm-int8, hashing, chroma-onnx, openai:MODEL",
    ):
        make_embedder("bert")
    with pytest.raises(EmbeddingError, match="openai: needs a model name"):
        make_embedder("openai:")


def test_minilm_is_offline_normalised_deterministic_and_semantic(
    minilm: MiniLMInt8Embedder,
) -> None:
    texts = ["The disk is almost full", "Filesystem running out of space", "A recipe for bread"]
    vectors = minilm.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = minilm.embed([texts[1]])[0]
    assert float(alone @ vectors[1]) > 0.9999  # a text's vector does not depend on its batch
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert minilm.embed([]).shape == (0, 384)


def test_minilm_refuses_a_model_file_with_the_wrong_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(minilm, "MINILM_INT8_SHA256", "0" * 64)
    with pytest.raises(EmbeddingError, match="does not have the expected sha256"):
        MiniLMInt8Embedder().embed(["x"])


def test_hashing_is_deterministic_and_lexical() -> None:
    one, two = HashingEmbedder(), HashingEmbedder()
    a = one.embed(["Disks filling up fast", "disk fills"])
    assert np.array_equal(a, two.embed(["Disks filling up fast", "disk fills"]))
    assert float(a[0] @ a[1]) > 0.5  # stemming: disks/disk, filling/fills
    assert float(one.embed(["zebra"])[0] @ a[0]) == pytest.approx(0.0, abs=1e-6)


@pytest.fixture
def embeddings_api() -> Iterator[str]:
    with serve_embeddings_api() as url:
        yield url


def test_openai_compatible_api_embedding(embeddings_api: str) -> None:
    embedder = OpenAICompatibleEmbedder(
        "text-embedding-3-small", base_url=embeddings_api, api_key="sk-test"
    )
    assert embedder.name == "openai-text-embedding-3-small"
    vectors = embedder.embed(["disk full", "cpu hot"])
    assert vectors.shape == (2, HashingEmbedder.dimension)
    assert np.allclose(
        vectors, HashingEmbedder().embed(["disk full", "cpu hot"]), atol=1e-6
    )  # order kept
    call = EmbeddingsAPI.calls[0]
    assert call["path"] == "/v1/embeddings" and call["auth"] == "Bearer sk-test"
    assert call["model"] == "text-embedding-3-small" and call["input"] == ["disk full", "cpu hot"]


def test_openai_compatible_api_errors_are_clear(embeddings_api: str) -> None:
    EmbeddingsAPI.status = 429
    embedder = OpenAICompatibleEmbedder("m", base_url=embeddings_api)
    with pytest.raises(EmbeddingError, match="answered 429"):
        embedder.embed(["x"])
    closed = OpenAICompatibleEmbedder("m", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(EmbeddingError, match="unreachable"):
        closed.embed(["x"])


def test_chroma_adapter_round_trips_its_config(hashing: HashingEmbedder) -> None:
    function = chroma_embedding_function("hashing", hashing)
    assert type(function).name() == "opsbot"
    assert function.get_config() == {"spec": "hashing"}
    rebuilt = type(function).build_from_config(function.get_config())
    assert np.allclose(rebuilt(["disk full"])[0], hashing.embed(["disk full"])[0])
    assert not function.is_legacy()


def test_chroma_client_has_telemetry_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert chroma_settings().anonymized_telemetry is False
    client = make_client(tmp_path)
    assert client.get_settings().anonymized_telemetry is False
    assert (tmp_path / "chroma").is_dir()
