"""Interactive commands print answers, not logs, and incident posts do not break the prompt
(issue 11, item 15): `ask` and `demo` write their INFO logs (runbook index, audit lines,
prompt labels) to data/opsbot.log with only warnings on stderr, `opsbot run` keeps logging to
stderr (to the file too when its console reads from a terminal), and an incident posted while the console waits at `you> ` is printed above the
prompt, which is drawn again."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

from bot.console import Console
from bot.console.incidents import ConsoleNotifier
from bot.console.prompt_line import PromptLine
from bot.incidents.contract import IncidentCard
from tests.bot_process import OpsbotRun, free_port, opsbot


def test_ask_and_demo_print_no_info_logs(tmp_path: Path) -> None:
    demo = opsbot("demo", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    ask = opsbot("ask", "roll back bike-demand", cwd=tmp_path)
    assert ask.returncode == 0, ask.stderr
    for result in (demo, ask):
        for stream in (result.stdout, result.stderr):
            assert " INFO " not in stream, stream
    log = (tmp_path / "data" / "opsbot.log").read_text()
    assert " INFO " in log  # the same records, in the log file


def test_run_still_logs_to_stderr(tmp_path: Path) -> None:
    port = free_port()
    env = {"OPSBOT_DATA_DIR": str(tmp_path / "data"), "PORT": str(port), "LOG_LEVEL": "INFO"}
    (tmp_path / "data").mkdir()
    run = OpsbotRun(tmp_path, env)
    try:
        run.wait_healthy(port)
        assert run.stop() == 0
    finally:
        run.kill()
    assert any(" INFO " in line for line in run.errors), run.log()
    assert not (tmp_path / "data" / "opsbot.log").exists()


def test_run_with_its_console_on_a_terminal_logs_to_the_file(tmp_path: Path) -> None:
    """`opsbot run` reading commands from a terminal (a pty): INFO goes to data/opsbot.log,
    so it never overwrites the `you> ` prompt; warnings still reach stderr."""
    port = free_port()
    env = {"OPSBOT_DATA_DIR": str(tmp_path / "data"), "PORT": str(port), "LOG_LEVEL": "INFO"}
    (tmp_path / "data").mkdir()
    master, slave = os.openpty()
    run = OpsbotRun(tmp_path, env, stdin=slave)
    try:
        run.wait_healthy(port)
        assert run.stop() == 0
    finally:
        run.kill()
        os.close(slave)
        os.close(master)
    assert not any(" INFO " in line for line in run.errors), run.log()
    assert " INFO " in (tmp_path / "data" / "opsbot.log").read_text()


def _card() -> IncidentCard:
    return IncidentCard(
        id=7, title="Disk / is 95% full", status="open", severity="critical", kind="host",
        summary="",
    )  # fmt: skip


def test_incident_note_is_printed_above_the_prompt() -> None:
    """A real terminal (a pty) on the console's stdin, so it shows its prompt; the note
    arrives while it waits for a line."""
    master, slave = os.openpty()
    out = io.StringIO()
    prompt = PromptLine()
    with os.fdopen(slave, "r") as stdin:
        console = Console(None, stdin=stdin, stdout=out)
        done = threading.Event()

        def loop() -> None:
            console.loop(prompt=prompt)
            done.set()

        threading.Thread(target=loop, daemon=True).start()
        for _ in range(200):  # until the prompt is shown
            if out.getvalue().endswith("you> "):
                break
            threading.Event().wait(0.01)
        ConsoleNotifier(stream=out, prompt=prompt).thread_note(_card(), "Resolved automatically")
        os.write(master, b"quit\n")
        assert done.wait(10)
    os.close(master)
    text = out.getvalue()
    assert text.endswith("you> \r\x1b[K  #7 › Resolved automatically\nyou> ")


def test_without_a_prompt_posts_are_plain_lines() -> None:
    out = io.StringIO()
    ConsoleNotifier(stream=out, prompt=PromptLine()).thread_note(_card(), "hello")
    assert out.getvalue() == "  #7 › hello\n"


def test_an_expired_approvals_answer_is_printed_above_the_prompt() -> None:
    """The scheduler's note that a console conversation's approval expired goes through the
    same prompt line as incident posts, not a bare print over `you> `."""
    from bot.console import expired_notice
    from graphs.agent import TurnResult

    master, slave = os.openpty()
    out = io.StringIO()
    prompt = PromptLine()
    with os.fdopen(slave, "r") as stdin:
        console = Console(None, stdin=stdin, stdout=out)
        done = threading.Event()

        def loop() -> None:
            console.loop(prompt=prompt)
            done.set()

        threading.Thread(target=loop, daemon=True).start()
        for _ in range(200):  # until the prompt is shown
            if out.getvalue().endswith("you> "):
                break
            threading.Event().wait(0.01)
        turn = TurnResult(thread_id="console:1", answer="ap-1 expired; nothing was changed.")
        expired_notice(prompt=prompt, stream=out)(None, turn)
        os.write(master, b"quit\n")
        assert done.wait(10)
    os.close(master)
    assert out.getvalue().endswith("you> \r\x1b[Kap-1 expired; nothing was changed.\nyou> ")
