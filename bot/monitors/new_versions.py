"""A new model version: its metric diff against production posted, and the promotion offered.

Each `run()` polls the registry (`tools.registry.new_versions.NewVersions`); for every version
registered since the last poll it posts the diff (a Slack message in the models channel), then
asks for the gated `set_model_alias(name, production, version)` as an approval whose card goes
in that message's thread: an on-call click promotes it through the approval flow like any
other alias move (re-validated, audited, recorded in the alias history). A version already
live is announced without an offer. Posting is given as two callables so that this module
needs no Slack: `post(text) -> (channel, ts)` and `post_card(view, channel, ts)`.
`opsbot run` schedules it every `NEW_VERSION_CHECK_SECONDS` when `MODELS_CHANNEL` is set
(bot/model_jobs.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.access import Caller
from core.approvals import ApprovalView
from tools.base import OpsTool
from tools.redact import redact
from tools.registry.new_versions import NewVersion, NewVersions


@dataclass
class Announced:
    notice: NewVersion
    channel: str
    ts: str
    approval: ApprovalView | None


class NewVersionAnnouncer:
    name = "new_versions"

    def __init__(
        self,
        versions: NewVersions,
        approvals: Any,  # the ApprovalService
        alias_tool: Callable[[], OpsTool | None],  # the toolbox's set_model_alias
        post: Callable[[str], tuple[str, str]],
        post_card: Callable[[ApprovalView, str, str], Any],
        team: str = "T0",
    ) -> None:
        self.versions = versions
        self.approvals = approvals
        self.alias_tool = alias_tool
        self.post = post
        self.post_card = post_card
        self.team = team

    def run(self) -> list[Announced]:
        done: list[Announced] = []
        for notice in self.versions.poll():
            live = notice.live is not None and notice.live.version == notice.version.version
            text = notice.text() + (
                "" if live else f"\nPromote it to {notice.alias}? (approval below)"
            )
            channel, ts = self.post(redact(text))
            view = None if live else self._offer(notice, channel, ts)
            done.append(Announced(notice, channel, ts, view))
        return done

    def _offer(self, notice: NewVersion, channel: str, ts: str) -> ApprovalView | None:
        tool = self.alias_tool()
        if tool is None:
            return None
        raw = {
            "name": notice.name,
            "alias": notice.alias,
            "version": notice.version.version,
            "reason": "promote the new version",
        }
        args = tool.parse(raw)
        preview = tool.preview(args) if tool.preview else ""  # pins the current holder
        view: ApprovalView = self.approvals.request(
            thread_id=f"slack:{self.team}:{channel}:{ts}",
            tool_call_id=f"new-version:{notice.name}:{notice.version.version}",
            tool=tool,
            args=args.model_dump(mode="json"),
            caller=Caller(user="opsbot", via="scheduler"),
            preview=redact(preview),
            risk=tool.risk_of(args),
        )
        self.post_card(view, channel, ts)
        return view
