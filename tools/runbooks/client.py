"""The Chroma client: a directory under OPSBOT_DATA_DIR, or a server when CHROMA_HOST is set.

Telemetry is always off (opsbot may run where nothing should phone home), both through the
client settings and the environment variable the `chroma` CLI and server read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.errors import Unavailable


class ChromaUnavailable(Unavailable, RuntimeError):
    """The Chroma directory or server cannot be used; the message names which and why."""


def chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def make_client(data_dir: Path, host: str | None = None, port: int = 8000) -> Any:
    """`HttpClient(host, port)` when a host is given, else `PersistentClient(data_dir/chroma)`."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb

    if host:
        if not 1 <= int(port) <= 65535:
            raise ChromaUnavailable(f"CHROMA_PORT must be 1..65535, got {port}")
        try:
            return chromadb.HttpClient(host=host, port=int(port), settings=chroma_settings())
        except Exception as exc:  # connection refused, TLS, version mismatch...
            raise ChromaUnavailable(
                f"cannot reach the Chroma server at {host}:{port} (CHROMA_HOST/CHROMA_PORT): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    path = Path(data_dir) / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChromaUnavailable(
            f"cannot create the Chroma directory {path} (OPSBOT_DATA_DIR): {exc}"
        ) from exc
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())
