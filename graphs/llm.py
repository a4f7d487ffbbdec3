"""The model layer: Claude through langchain-anthropic when a key is set, otherwise the
offline planner. Both are LangChain chat models, so the graph does not care which it has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphs.offline.entities import Vocabulary

if TYPE_CHECKING:
    from tools.runbooks.embedding import Embedder


@dataclass(frozen=True)
class ModelConfig:
    use_anthropic: bool
    model: str
    api_key: str | None = None
    base_url: str | None = None
    max_tokens: int = 4096
    timeout: float = 60.0
    max_retries: int = 2


def build_chat_model(
    config: ModelConfig,
    vocabulary: Callable[[], Vocabulary],
    embedder: Callable[[], Embedder] | None = None,
    cache_dir: Path | None = None,
) -> Any:
    """`embedder`: the process's embedder (the runbook index's; resolved on the first message
    the offline planner's rules do not match), for its semantic layer; None: no such layer.
    `cache_dir`: where that layer caches its example vectors."""
    if not config.use_anthropic:
        from graphs.offline.model import OfflinePlanner
        from graphs.offline.semantic import SemanticRouter

        semantic = SemanticRouter(embedder, cache_dir) if embedder is not None else None
        return OfflinePlanner(vocabulary=vocabulary, semantic=semantic)
    from langchain_anthropic import ChatAnthropic

    kwargs: dict[str, Any] = {
        "model": config.model,
        "api_key": config.api_key,
        "max_tokens": config.max_tokens,
        "timeout": config.timeout,
        "max_retries": config.max_retries,
        # the graph is invoked synchronously; streaming adds nothing and complicates emulation
        "disable_streaming": True,
    }
    if config.base_url:
        kwargs["base_url"] = config.base_url
    return ChatAnthropic(**kwargs)


def message_text(message: Any) -> str:
    """The text of a chat message, whether its content is a string or a list of parts (a
    Claude reply: text parts, and tool calls or thinking, which are not text)."""
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(
        part.get("text", "")
        for part in content
        if isinstance(part, dict) and part.get("type") == "text"
    )


def is_offline(model: Any) -> bool:
    return type(model).__name__ == "OfflinePlanner"


def model_name(model: Any) -> str:
    """The model's name as opsbot's own spans record it: Claude's model id, or `offline`."""
    return "offline" if is_offline(model) else str(getattr(model, "model", "") or "")


def describe_failure(exc: BaseException) -> str:
    """A clear sentence for a failed model call, without leaking internals or secrets."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    message = str(getattr(exc, "message", "") or exc)
    if "Timeout" in name or "timed out" in message.lower():
        return "the language model did not answer in time (timeout)"
    if status == 529 or "overloaded" in message.lower():
        return "the language model service is overloaded (HTTP 529)"
    if status == 429:
        return "the language model service is rate limiting us (HTTP 429)"
    if status in (401, 403):
        return "the language model service rejected our API key (check ANTHROPIC_API_KEY)"
    if isinstance(status, int) and status >= 500:
        return f"the language model service failed (HTTP {status})"
    if isinstance(status, int) and status >= 400:
        detail = message.split("\n")[0][:200]
        return f"the language model service refused the request (HTTP {status}: {detail})"
    if "Connection" in name or "connect" in message.lower():
        return "the language model service could not be reached (connection error)"
    return f"the language model call failed ({name})"
