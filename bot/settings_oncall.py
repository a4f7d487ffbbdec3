"""The on-call settings (approvers on call now, escalation, handoff messages; tools/oncall),
kept here so that `bot/settings.py` stays one readable page; `Settings` inherits them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from bot.settings_values import split_list, split_mapping
from core.errors import Invalid
from tools.oncall.approvers import parse_approver_schedules
from tools.oncall.escalation import SLACK_ID, load_text, parse_policies


class OncallSettings(BaseSettings):
    # beside ONCALL_USERS and ONCALL_USERGROUP (a union): whoever is on call at the moment of
    # the decision in these schedules may approve; `ops` = its primary and secondary,
    # `ops:primary` its primary only
    oncall_approver_schedules: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ONCALL_APPROVER_SCHEDULES"
    )
    # JSON or YAML: severity (or "*") -> [{after_minutes, notify: schedule:NAME[:secondary] |
    # user:U… | usergroup:S… | channel:C…}], optional top-level "channel" for user groups;
    # see tools/oncall/escalation.py. Off while unset.
    escalation_policies: Annotated[dict[str, Any], NoDecode] = Field(
        default_factory=dict, validation_alias="ESCALATION_POLICIES"
    )
    # schedule=C123,other=C456: a message in that channel at each handoff of the schedule
    oncall_handoff_channels: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, validation_alias="ONCALL_HANDOFF_CHANNELS"
    )
    # how often escalation and handoffs are checked
    oncall_check_seconds: float = Field(
        default=30.0, ge=5, le=600, validation_alias="ONCALL_CHECK_SECONDS"
    )

    @field_validator("oncall_approver_schedules", mode="before")
    @classmethod
    def _parse_approvers(cls, value: Any) -> Any:
        value = split_list(value)
        try:
            parse_approver_schedules(value)
        except Invalid as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("escalation_policies", mode="before")
    @classmethod
    def _parse_policies(cls, value: Any) -> Any:
        try:
            value = load_text(value)
            parse_policies(value)
        except Invalid as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("oncall_handoff_channels", mode="before")
    @classmethod
    def _parse_channels(cls, value: Any) -> Any:
        value = split_mapping(value)
        if isinstance(value, dict):
            bad = [f"{k}={v}" for k, v in value.items() if not SLACK_ID["channel"].match(str(v))]
            if bad:
                raise ValueError(f"not Slack channel ids (C…): {', '.join(bad)}")
        return value
