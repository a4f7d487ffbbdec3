"""What the HTTP routes are given: a few typed parts, never the whole application.

Built by the container (`bot.runtime.Runtime.http_deps`). The prompt server and the incident
service are factories, called on first use: a route that is off never builds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.incidents.alertmanager import AmPayload
    from bot.settings import Settings
    from tools.changes.store import ChangeStore
    from tools.llmops.scores import ScoreStore
    from tools.llmops.store import SpanStore
    from tools.modelperf.intake import Intake
    from tools.prompts.serving import PromptServer


@dataclass(frozen=True)
class HttpDeps:
    settings: Settings
    ping_database: Callable[[], None]  # raises when the database cannot answer (`/healthz`)
    prompt_server: Callable[[], PromptServer]  # `GET /prompts/{name}`
    # `POST /alerts/alertmanager`: IncidentService.ingest_alertmanager
    ingest_alertmanager: Callable[[], Callable[[AmPayload], tuple[int | None, str]]]
    changes: Callable[[], ChangeStore]  # `POST /events/change`
    llm_spans: Callable[[], SpanStore]  # `POST /v1/traces`
    llm_scores: Callable[[], ScoreStore]  # `POST /scores`
    model_intake: Callable[[], Intake]  # `POST /models/{name}/predictions|outcomes`
