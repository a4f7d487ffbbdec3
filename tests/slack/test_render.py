"""Block Kit rendering: escaping, Markdown to mrkdwn, Slack's limits, splitting, files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.reply import ApprovalCard, Attachment, Code, Context, Fields, Reply, Section, Table
from bot.slack.approvals import APPROVAL, ButtonSigner
from bot.slack.cards import approval_blocks
from bot.slack.mrkdwn import MAX_TEXT, escape, mrkdwn, split_text
from bot.slack.render import MAX_BLOCKS, MAX_MESSAGES, render_reply
from core.approvals import ApprovalView
from core.clock import utcnow
from tests.emulators.slack import block_problems
from tools.format import text_table


def _all_text(rendered) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for message in rendered.messages:
        for block in message.blocks:
            parts.append((block.get("text") or {}).get("text", ""))
            parts.extend(f.get("text", "") for f in block.get("fields") or [])
            parts.extend(e.get("text", "") for e in block.get("elements") or [] if "text" in e)
    return "\n".join(parts)


def _valid(rendered) -> None:  # type: ignore[no-untyped-def]
    for message in rendered.messages:
        assert block_problems(message.blocks) == []
        assert len(message.text) <= 3000


def test_escapes_markup_characters_and_mentions() -> None:
    rendered = render_reply(Reply([Section("a < b && c > d <!channel> <@U123>")], fallback="x"))
    text = _all_text(rendered)
    assert "a &lt; b &amp;&amp; c &gt; d &lt;!channel&gt; &lt;@U123&gt;" in text
    assert "<!channel>" not in text and "<@U123>" not in text
    assert escape("&lt;") == "&amp;lt;"  # escaping is not confused by entities


def test_markdown_becomes_mrkdwn() -> None:
    text = (
        "# Disk report\n"
        "**Root** is at 91% — see [the runbook](https://example.com/disk?a=1&b=2).\n"
        "- first\n  - nested\n"
        "~~old~~ and `**not bold** <code>`\n"
        "> quoted <b>\n"
        "```python\nx = 1 < 2\n```"
    )
    out = mrkdwn(text)
    lines = out.split("\n")
    assert lines[0] == "*Disk report*"
    assert "*Root* is at 91%" in lines[1]
    assert "<https://example.com/disk?a=1&amp;b=2|the runbook>" in lines[1]
    assert lines[2] == "• first" and lines[3].strip() == "◦ nested"
    assert "~old~" in lines[4] and "`**not bold** &lt;code&gt;`" in lines[4]
    assert lines[5] == ">quoted &lt;b&gt;"
    assert lines[6] == "```" and lines[7] == "x = 1 &lt; 2" and lines[8] == "```"


def test_tables_are_put_in_code_fences() -> None:
    table = text_table(["pid", "name", "cpu"], [[1, "init", "0.1%"], [42, "python", "93.0%"]])
    out = mrkdwn("Top processes:\n" + table + "\nDone.")
    assert out.split("\n")[1] == "```" and "```\nDone." in out
    pipe = mrkdwn("| model | drift |\n|---|---|\n| bike | 0.31 |\n| taxi | 0.02 |")
    assert pipe.startswith("```\nmodel") and "bike    0.31" in pipe and pipe.endswith("```")


def test_long_text_is_split_within_limits_without_losing_anything() -> None:
    lines = [f"line {i}: " + "x" * 90 for i in range(200)]
    lines.insert(50, "```")
    lines.insert(120, "```")
    text = "\n".join(lines)
    pieces = split_text(mrkdwn(text))
    assert len(pieces) > 5
    assert all(len(piece) <= MAX_TEXT for piece in pieces)
    for piece in pieces:  # every piece has balanced fences
        assert sum(1 for line in piece.split("\n") if line == "```") % 2 == 0
    joined = "\n".join(pieces)
    for i in range(200):
        assert f"line {i}: " in joined
    one_line = split_text("y" * 10_000)
    assert all(len(p) <= MAX_TEXT for p in one_line) and sum(map(len, one_line)) == 10_000


def test_many_blocks_are_spread_over_messages() -> None:
    reply = Reply([Section(f"item {i}") for i in range(120)], fallback="many")
    rendered = render_reply(reply)
    assert [len(m.blocks) for m in rendered.messages] == [50, 50, 20]
    assert rendered.messages[0].text == "many"
    assert "continued" in rendered.messages[1].text
    _valid(rendered)


def test_huge_answer_is_attached_as_a_file() -> None:
    reply = Reply([Section(f"item {i} " + "z" * 200) for i in range(400)], fallback="huge")
    rendered = render_reply(reply)
    assert len(rendered.messages) <= MAX_MESSAGES
    assert rendered.uploads[0].filename == "answer.txt"
    assert "item 399" in (rendered.uploads[0].content or "")
    assert "attached in full" in _all_text(rendered)
    _valid(rendered)


def test_long_code_and_tables_are_previewed_and_attached() -> None:
    diff = "\n".join(f"-old line {i}\n+new line {i}" for i in range(800))
    rows = [[f"m{i}", f"{i / 10:.1f}"] for i in range(100)]
    reply = Reply(
        [Code(diff, title="diff v3..v4"), Table(["model", "score"], rows, title="scores")],
        fallback="diff",
    )
    rendered = render_reply(reply)
    names = [u.filename for u in rendered.uploads]
    assert names == ["diff-v3..v4.txt", "scores.csv"]
    assert rendered.uploads[0].content == diff
    assert rendered.uploads[1].content is not None and "m99,9.9" in rendered.uploads[1].content
    text = _all_text(rendered)
    assert "*diff v3..v4*\n```" in text and "First 40 of 1600 lines" in text
    assert "60 more rows" in text
    _valid(rendered)


def test_fields_context_and_attachments(tmp_path: Path) -> None:
    png = tmp_path / "drift.png"
    png.write_bytes(b"\x89PNG")
    pairs = [(f"k{i}", f"v<{i}>") for i in range(13)]
    reply = Reply(
        [Fields(pairs), Context("tools used: a & b"), Attachment(png, "Drift chart")], fallback="f"
    )
    rendered = render_reply(reply)
    blocks = rendered.messages[0].blocks
    assert [len(b["fields"]) for b in blocks[:2]] == [10, 3]
    assert blocks[0]["fields"][0]["text"] == "*k0*\nv&lt;0&gt;"
    assert blocks[2]["type"] == "context" and "a &amp; b" in blocks[2]["elements"][0]["text"]
    assert rendered.uploads[0].path == png and rendered.uploads[0].title == "Drift chart"
    _valid(rendered)


def _view(**overrides: object) -> ApprovalView:
    values: dict = {
        "id": "ap-0123456789ab",
        "tool": "run_remediation",
        "args": {"action": "clean_directory", "params": {"path": "/var/tmp/x"}},
        "risk": "medium",
        "preview": "would delete 3 files (12.0 MiB) <older than 7 days>",
        "status": "pending",
        "requested_by": "U222",
        "expires_at": utcnow() + timedelta(minutes=30),
    }
    values.update(overrides)
    return ApprovalView(**values)


def test_approval_card_has_preview_risk_and_signed_buttons() -> None:
    signer = ButtonSigner("secret")
    view = _view()
    blocks = approval_blocks(view, signer)
    assert block_problems(blocks) == []
    text = str(blocks)
    assert "would delete 3 files (12.0 MiB) &lt;older than 7 days&gt;" in text
    assert "🟠 medium" in text and "<@U222>" in text
    actions = next(b for b in blocks if b["type"] == "actions")
    approve, reject = actions["elements"]
    assert approve["action_id"] == "approval_approve" and approve["style"] == "primary"
    assert signer.verify(APPROVAL, approve["value"], "approve").subject == view.id
    assert signer.verify(APPROVAL, reject["value"], "reject").subject == view.id
    assert "confirm" not in approve
    # a high-risk Approve asks for a reason in a modal (bot/slack/reasons.py), not a dialog
    high = next(b for b in approval_blocks(_view(risk="high"), signer) if b["type"] == "actions")
    assert "confirm" not in high["elements"][0]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("executed", "Approved by <@U_ONCALL>"),
        ("rejected", "Rejected by <@U_ONCALL>"),
        ("failed", "the action failed"),
        ("expired", "Expired without a decision"),
    ],
)
def test_decided_card_has_no_buttons_and_says_who_and_when(status: str, expected: str) -> None:
    view = _view(status=status, decided_by="U_ONCALL", result="deleted 3 files")
    blocks = approval_blocks(view, ButtonSigner("secret"), decided_at=utcnow())
    assert not [b for b in blocks if b["type"] == "actions"]
    text = str(blocks)
    assert expected in text
    if status != "expired":
        assert "<!date^" in text
    assert block_problems(blocks) == []


def test_unknown_reply_block_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot render reply block"):
        render_reply(Reply([object()]))


def test_pending_approvals_are_listed_separately() -> None:
    view = _view()
    rendered = render_reply(Reply([Section("Approval needed"), ApprovalCard(view)], fallback="a"))
    assert rendered.approvals == [view]
    assert len(rendered.messages) == 1 and len(rendered.messages[0].blocks) <= MAX_BLOCKS


def test_a_composed_answer_renders_the_same_in_slack_and_the_console(tmp_path: Path) -> None:
    """What the offline planner's compose returns (verdict, evidence, next step, the tools'
    tables) is one reply model for Slack, the console and `opsbot ask`."""
    from bot.console import render_text
    from bot.reply import reply_from_turn
    from core.access import Caller
    from graphs.offline.compose import Outcome, compose
    from graphs.turns import ToolCallRecord, TurnResult
    from tools.infra.tools import InfraConfig, build_infra_tools

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log").write_bytes(b"x" * 50_000)
    tools = {
        t.name: t for t in build_infra_tools(InfraConfig(endpoints={"shop": "http://127.0.0.1:9/"}))
    }
    calls = [("check_endpoint", {"target": "shop"}), ("disk_usage", {"path": str(tmp_path)})]
    outcomes = []
    for name, args in calls:
        result = tools[name].invoke(args, Caller("u"))
        outcomes.append(Outcome(name, args, result.text, result.data, result.ok))
    answer = compose(outcomes, "is shop up? and the disk of <tmp> & co")
    turn = TurnResult("t", answer, [ToolCallRecord(n, a) for n, a in calls])
    reply = reply_from_turn(turn)
    console = render_text(reply)
    assert console.startswith(answer.splitlines()[0]) and "Next step: " in console
    assert "  (tools used: check_endpoint, disk_usage)" in console
    rendered = render_reply(reply)
    _valid(rendered)
    slack = _all_text(rendered)
    assert slack.startswith("shop is down (connection failed")
    assert (
        "Evidence:\n• shop: DOWN" in slack and "Next step: Check the service behind shop" in slack
    )
    assert "```\npath" in slack  # the disk table is fenced for Slack
