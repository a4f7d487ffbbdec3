"""The runbook index against a real `chroma run` server (HttpClient), as with CHROMA_HOST."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot_process import free_port, wait_ok
from tests.runbooks.conftest import CPU, DISK
from tools.runbooks import index_from_settings
from tools.runbooks.client import ChromaUnavailable
from tools.runbooks.index import RunbookIndex


def _chroma_cli() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    cli = _chroma_cli()
    if cli is None:
        pytest.skip("the `chroma` CLI (from the chromadb package) is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [cli, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        if not wait_ok(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, 60):
            if process.poll() is not None:
                pytest.fail(
                    f"chroma run exited with {process.returncode}: {(path / 'server.log').read_text()[-2000:]}"
                )
            pytest.fail("chroma run did not answer its heartbeat within 60 s")
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_ingest_and_search_through_a_chroma_server(
    chroma_server, write_tree, tmp_path, hashing
) -> None:  # type: ignore[no-untyped-def]
    host, port = chroma_server
    index = RunbookIndex(
        tmp_path / "unused",
        chroma_host=host,
        chroma_port=port,
        embedding="hashing",
        embedder=hashing,
    )
    root = write_tree({"disk.md": DISK, "cpu.md": CPU})
    report = index.ingest([root], progress=False)
    assert sorted(report.added) == ["runbooks/cpu.md", "runbooks/disk.md"]
    assert not (tmp_path / "unused" / "chroma").exists()  # nothing local: it all went to the server

    hits = index.search("TestCpuHot is firing", k=2)
    assert hits[0].source == "runbooks/cpu.md" and hits[0].match == "alert"

    # a second replica sharing the server sees the same runbooks and later changes
    replica = RunbookIndex(
        tmp_path / "other",
        chroma_host=host,
        chroma_port=port,
        embedding="hashing",
        embedder=hashing,
    )
    assert replica.count() == index.count() == 4
    (root / "cpu.md").unlink()
    assert index.ingest([root], progress=False).removed == ["runbooks/cpu.md"]
    assert replica.sources() == ["runbooks/disk.md"]


def test_settings_with_chroma_host_use_the_server(chroma_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import load_settings

    host, port = chroma_server
    settings = load_settings(
        data_dir=tmp_path, chroma_host=host, chroma_port=port, embedding="hashing"
    )
    index = index_from_settings(settings)
    assert index.embedder.name == "hashing"
    assert index.store.client.get_settings().chroma_server_host == host
    assert index.store.client.heartbeat() > 0
    index.count()  # reads from the server
    assert not (tmp_path / "chroma").exists()


def test_unreachable_server_is_a_clear_error(tmp_path, hashing) -> None:  # type: ignore[no-untyped-def]
    index = RunbookIndex(
        tmp_path,
        chroma_host="127.0.0.1",
        chroma_port=free_port(),
        embedding="hashing",
        embedder=hashing,
    )
    with pytest.raises(
        ChromaUnavailable,
        match=r"cannot reach the Chroma server at 127\.0\.0\.1:\d+ \(CHROMA_HOST/CHROMA_PORT\)",
    ):
        index.count()
