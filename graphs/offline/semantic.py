"""The offline planner's semantic layer: the nearest labelled example utterances decide which
read tool a message wants when no intent rule matched it.

The examples (`examples.yml`) are embedded once with the runbook search's own embedder (one
model in the process; it loads on the first message that reaches this layer and unloads
with the runbook model when idle). The matrix is cached on disk under the data dir, keyed
by a hash of the examples and the embedder name. A message gets a score per label: the mean
cosine similarity of that label's `K` nearest examples. The best label is proposed only when
its score reaches `THRESHOLD` and leads the runner-up by `MARGIN`; otherwise, or when the
best label is `none` (chit-chat, out of scope), the layer proposes nothing and the planner's
old fallback (runbook search) stays. Figures behind the constants: bench/semantic_router.py.

Only read tools can be labels (`READ_LABELS`): the layer never proposes a change. It is on
for the embedders its threshold was measured with (`MEASURED_EMBEDDERS`); with any other
(`OPSBOT_EMBEDDING=hashing`, an API) or when the model cannot load, it is off, said once in
the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from core.errors import OpsbotError

if TYPE_CHECKING:
    import numpy as np

    from tools.runbooks.embedding import Embedder

log = logging.getLogger(__name__)

EXAMPLES_FILE = Path(__file__).resolve().parent / "examples.yml"
NONE = "none"
READ_LABELS = frozenset(
    {
        "host_health",
        "disk_usage",
        "top_processes",
        "check_endpoint",
        "list_models",
        "model_status",
        "model_drift",
        "list_prompts",
        "show_prompt",
        "list_incidents",
        "search_runbooks",
    }
)
MEASURED_EMBEDDERS = frozenset({"minilm-int8"})
MIN_EXAMPLES = 15  # per label
K = 2
THRESHOLD = 0.45
MARGIN = 0.02
MAX_CHARS = 500
CACHE_FORMAT = "1"


class ExamplesError(OpsbotError, ValueError):
    """The examples file is malformed or names a label the layer may not propose."""


@dataclass(frozen=True)
class Score:
    label: str
    score: float


def load_examples(path: Path = EXAMPLES_FILE) -> list[tuple[str, str]]:
    """(label, utterance) pairs; every label a read tool or `none`, each with at least
    `MIN_EXAMPLES` distinct utterances."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ExamplesError(f"{path}: expected a mapping of label -> list of utterances")
    pairs: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for label, texts in data.items():
        if label != NONE and label not in READ_LABELS:
            raise ExamplesError(
                f"{path}: label {label!r} is not a read tool or {NONE!r}; "
                f"allowed: {', '.join(sorted(READ_LABELS))}"
            )
        if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ExamplesError(f"{path}: {label} must be a list of non-empty strings")
        for text in texts:
            key = " ".join(text.lower().split())
            if key in seen:
                raise ExamplesError(f"{path}: {text!r} is under both {seen[key]} and {label}")
            seen[key] = label
            pairs.append((label, text.strip()))
        if len(set(texts)) < MIN_EXAMPLES:
            raise ExamplesError(f"{path}: {label} has {len(texts)} examples, needs {MIN_EXAMPLES}")
    return pairs


def label_scores(similarities: np.ndarray, labels: list[str], k: int = K) -> list[Score]:
    """Each label's mean similarity over its `k` nearest examples, best first."""
    import numpy as np

    names = sorted(set(labels))
    index = np.asarray([names.index(label) for label in labels])
    scores = []
    for position, name in enumerate(names):
        own = np.sort(similarities[index == position])[::-1][:k]
        scores.append(Score(name, float(own.mean())))
    return sorted(scores, key=lambda s: s.score, reverse=True)


def confident(
    scores: list[Score], threshold: float = THRESHOLD, margin: float = MARGIN
) -> str | None:
    """The best label when it clears the threshold and the margin, else None."""
    if not scores or scores[0].score < threshold:
        return None
    if len(scores) > 1 and scores[0].score - scores[1].score < margin:
        return None
    return scores[0].label


class SemanticRouter:
    """Nearest-example intent labels for messages; shared by every planner of a process."""

    def __init__(
        self,
        embedder: Callable[[], Embedder],
        cache_dir: Path | None = None,
        examples: Path = EXAMPLES_FILE,
    ) -> None:
        self._embedder_source = embedder
        self._cache_dir = cache_dir
        self._examples_path = examples
        self._lock = threading.Lock()
        self._state: tuple[Embedder, np.ndarray, list[str]] | None = None
        self._off = False

    @property
    def embedder(self) -> Embedder | None:
        """The embedder in use once built (the runbook index's), None when off or unbuilt."""
        return self._state[0] if self._state is not None else None

    @property
    def active(self) -> bool:
        """Whether the layer is on (builds it on first call: the model loads then)."""
        return self._ready() is not None

    def scores(self, text: str) -> list[Score]:
        """Every label's score for `text`, best first; [] when the layer is off."""
        state = self._ready()
        if state is None or not text.strip():
            return []
        from tools.runbooks.embedding import EmbeddingError

        embedder, matrix, labels = state
        try:
            vector = embedder.embed([text.strip()[:MAX_CHARS]])[0]
        except EmbeddingError as exc:  # e.g. the model file went missing after a reload
            self._turn_off(f"the embedder {embedder.name} failed: {exc}")
            return []
        return label_scores(matrix @ vector, labels)

    def label(self, text: str) -> str | None:
        """The confident read tool for `text`, or None (below threshold, no margin, `none`)."""
        best = confident(self.scores(text))
        return None if best == NONE else best

    # ------------------------------------------------------------------ building
    def _ready(self) -> tuple[Embedder, np.ndarray, list[str]] | None:
        if self._state is not None or self._off:
            return self._state
        with self._lock:
            if self._state is None and not self._off:
                self._build()
        return self._state

    def _build(self) -> None:
        from tools.runbooks.embedding import EmbeddingError

        try:
            embedder = self._embedder_source()
        except EmbeddingError as exc:
            self._turn_off(f"no embedder: {exc}")
            return
        if embedder.name not in MEASURED_EMBEDDERS:
            self._turn_off(
                f"the embedding is {embedder.name}; its threshold is measured for "
                + ", ".join(sorted(MEASURED_EMBEDDERS))
            )
            return
        pairs = load_examples(self._examples_path)
        labels = [label for label, _ in pairs]
        try:
            matrix = self._matrix(embedder, [text for _, text in pairs])
        except EmbeddingError as exc:
            self._turn_off(f"the embedder {embedder.name} cannot load: {exc}")
            return
        self._state = (embedder, matrix, labels)
        log.info("semantic layer on: %d examples, embedder %s", len(labels), embedder.name)

    def _matrix(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        """The examples' vectors: from the cache file when its key matches, else embedded
        (and cached when there is a cache dir)."""
        import numpy as np

        digest = hashlib.sha256(f"{CACHE_FORMAT}\0{embedder.name}\0".encode())
        digest.update(self._examples_path.read_bytes())
        path = (
            self._cache_dir / f"examples-{digest.hexdigest()[:16]}.npy" if self._cache_dir else None
        )
        if path is not None and path.is_file():
            cached = np.load(path)
            if cached.shape[0] == len(texts):
                return np.asarray(cached, dtype=np.float32)
            log.warning("semantic layer: %s does not match the examples; embedding again", path)
        matrix = embedder.embed(texts)
        if path is not None:
            self._store(path, matrix)
        return matrix

    @staticmethod
    def _store(path: Path, matrix: np.ndarray) -> None:
        import numpy as np

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as handle:
                np.save(handle, matrix)
            partial.replace(path)
        except OSError as exc:  # a read-only data dir costs an embedding per start, not a turn
            log.warning("semantic layer: cannot cache the example vectors in %s: %s", path, exc)

    def _turn_off(self, why: str) -> None:
        self._off = True
        self._state = None
        log.warning("semantic layer off (the planner's rules and runbook fallback stay): %s", why)
