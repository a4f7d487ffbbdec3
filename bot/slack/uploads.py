"""A file attached in a Slack thread (`files.uploadV2`: files.getUploadURLExternal, the
upload, files.completeUploadExternal), for chat answers and incident threads alike."""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.errors import slack_error
from bot.slack.mrkdwn import escape
from bot.slack.render import SlackMessage, Upload, section

log = logging.getLogger(__name__)


def attach(client: Any, upload: Upload, channel: str, thread_ts: str | None) -> str | None:
    """Upload `upload` into the thread; None when it arrived, else Slack's error (logged)."""
    kwargs: dict[str, Any] = {
        "channel": channel,
        "thread_ts": thread_ts,
        "filename": upload.filename,
        "title": upload.title,
    }
    if upload.path is not None:
        kwargs["file"] = str(upload.path)
    else:
        kwargs["content"] = upload.content or ""
    try:
        client.files_upload_v2(**kwargs)
    except Exception as exc:
        error = slack_error(exc)
        log.warning("could not attach %s: %s", upload.filename, error)
        return error
    return None


def failure_note(filename: str, error: str) -> SlackMessage:
    """The thread message that says a file could not be attached, and why."""
    note = f"(I could not attach {filename}: {error})"
    return SlackMessage(text=note, blocks=[section(escape(note))])
