"""The console's one input prompt, shared with whatever prints while it waits for a line."""

from __future__ import annotations

import threading
from typing import TextIO


class PromptLine:
    """The console's input prompt (`you> `), shared with whatever prints while it waits for
    a line: text is written above the prompt (the prompt line is cleared, the text printed,
    the prompt drawn again), so an incident post never lands in the middle of it."""

    CLEAR_LINE = "\r\x1b[K"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._prompt: str | None = None
        self._stream: TextIO | None = None

    def show(self, prompt: str, stream: TextIO) -> None:
        with self._lock:
            self._prompt, self._stream = prompt, stream
            stream.write(prompt)
            stream.flush()

    def hide(self) -> None:
        """The line was read: nothing waits at the prompt any more."""
        with self._lock:
            self._prompt = self._stream = None

    def write(self, text: str, stream: TextIO) -> None:
        with self._lock:
            if self._prompt is not None and stream is self._stream:
                stream.write(f"{self.CLEAR_LINE}{text}\n{self._prompt}")
            else:
                stream.write(text + "\n")
            stream.flush()


# The one prompt of this process (a process has one terminal).
PROMPT = PromptLine()
