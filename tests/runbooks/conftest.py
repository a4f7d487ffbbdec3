"""Fixtures for runbook tests: small markdown trees, indexes on temp dirs.

Most tests use the model-free `hashing` embedding on a few files (milliseconds). Tests of
search quality use the real default (`minilm-int8`) on the shipped runbooks, ingested once
per session; the retrieval floor test ingests the real prometheus-operator corpus once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import SHIPPED_RUNBOOKS
from tools.runbooks.embedding import HashingEmbedder
from tools.runbooks.index import RunbookIndex
from tools.runbooks.minilm import MiniLMInt8Embedder

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO / "tests" / "fixtures"
CORPUS = SHARED_DATA / "runbooks" / "prometheus-operator"

DISK = """---
title: Disk almost full
alerts: [TestDiskFull]
services: [web]
tags: [disk, storage]
severity: critical
---

# Disk almost full

## Meaning

The root filesystem is above 90 percent used.

## Mitigation

Remove old archives with clean_directory on /var/archive, then check df -h again.
"""

CPU = """---
title: CPU hot
alerts: TestCpuHot
services: [api, worker]
tags: [cpu]
---

# CPU hot

## Diagnosis

Run top and find the process burning cores; check the last deploy.

## Mitigation

Restart the looping worker with restart_service.
"""


@pytest.fixture
def write_tree(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write {relative path: text or bytes} under a fresh folder and return it."""
    counter = {"n": 0}

    def _write(files: dict[str, str | bytes]) -> Path:
        counter["n"] += 1
        root = tmp_path / f"tree{counter['n']}" / "runbooks"
        root.mkdir(parents=True)
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return _write


@pytest.fixture(scope="session")
def hashing() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def hashing_index(tmp_path: Path, hashing: HashingEmbedder) -> RunbookIndex:
    return RunbookIndex(tmp_path / "data", embedding="hashing", embedder=hashing)


@pytest.fixture(scope="session")
def minilm() -> MiniLMInt8Embedder:
    return MiniLMInt8Embedder()


@pytest.fixture(scope="session")
def shipped_index(
    tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMInt8Embedder
) -> RunbookIndex:
    """The shipped runbooks with the default embedding, ingested once per session."""
    index = RunbookIndex(tmp_path_factory.mktemp("shipped"), embedder=minilm)
    report = index.ingest([SHIPPED_RUNBOOKS], progress=False)
    assert not report.skipped, report.summary()
    return index


@pytest.fixture(scope="session")
def corpus_index(
    tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMInt8Embedder
) -> RunbookIndex:
    """The 108 prometheus-operator runbooks with the default embedding (about 30 s)."""
    assert CORPUS.is_dir(), f"the evaluation corpus ships in the repository: {CORPUS} is missing"
    index = RunbookIndex(tmp_path_factory.mktemp("corpus"), embedder=minilm)
    index.ingest([CORPUS], progress=False)
    return index
