"""Runbook search over the Chroma collection: ingest, hybrid search, the agent tool.

Plain Python (no Slack, no LangGraph). The app builds one `RunbookIndex` from settings
(`index_from_settings`), ingests `settings.resolved_knowledge_dir()` at start (incremental,
so cheap when nothing changed), registers `build_runbook_tools(index)` with the agent, and
incident triage cites the runbook `choice.RunbookChooser` picks (the alert's runbook_url,
then the runbooks naming the alert, then by meaning).
"""

from __future__ import annotations

from typing import Any

from tools.runbooks.embedding import DEFAULT_EMBEDDING, EmbeddingError, make_embedder
from tools.runbooks.fusion import Fusion
from tools.runbooks.hits import Hit, RunbookError
from tools.runbooks.index import RunbookIndex
from tools.runbooks.indexing import IngestReport
from tools.runbooks.tool import build_runbook_tools
from tools.runbooks.triage import (
    REMEDIATION_ACTIONS,
    RunbookMatch,
    mentioned_actions,
    runbooks_for_alert,
)


def index_from_settings(settings: Any) -> RunbookIndex:
    """RunbookIndex from opsbot Settings: `data_dir`, `chroma_host`, `chroma_port` and
    `embedding` (OPSBOT_EMBEDDING; default minilm-int8), `runbook_model_idle_seconds`
    (RUNBOOK_MODEL_IDLE_SECONDS: unload the local model after that long unused). Raises
    EmbeddingError for an unknown embedding name."""
    return RunbookIndex(
        data_dir=settings.data_dir,
        chroma_host=settings.chroma_host,
        chroma_port=settings.chroma_port,
        embedding=getattr(settings, "embedding", None) or DEFAULT_EMBEDDING,
        model_idle_seconds=getattr(settings, "runbook_model_idle_seconds", None),
    )


__all__ = [
    "DEFAULT_EMBEDDING",
    "REMEDIATION_ACTIONS",
    "EmbeddingError",
    "Fusion",
    "Hit",
    "IngestReport",
    "RunbookError",
    "RunbookIndex",
    "RunbookMatch",
    "build_runbook_tools",
    "index_from_settings",
    "make_embedder",
    "mentioned_actions",
    "runbooks_for_alert",
]
