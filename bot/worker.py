"""A background thread that delivers work from the database: at once when kicked, and by
polling every `period` seconds for work other processes wrote.

The incident outbox (`bot.incidents.notify`) and the approval feed
(`bot.slack.approval_feed`) are both such workers; they only say what one `pump()` does.
"""

from __future__ import annotations

import logging
import threading


class PollingWorker:
    """Runs `pump()` on a daemon thread when `kick()`ed and every `period` seconds.

    A failing pump is logged and tried again at the next wake-up (the database may be
    briefly unreachable). `pump()` may also be called directly (tests, `opsbot check`); the
    pump lock keeps two pumps of one worker from running at once.
    """

    thread_name = "opsbot-worker"
    failure = "worker failed"  # the log message when a pump raises
    pump_on_stop = False  # one last pump after stop(), to deliver what is left

    def __init__(self, period: float) -> None:
        self.period = period
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pump_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def pump(self) -> int:
        """Deliver what can be delivered now; returns how many deliveries were made."""
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def kick(self) -> None:
        """Deliver what is waiting now (a change this process just made)."""
        self._wake.set()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._work, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _work(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.period)
            self._wake.clear()
            if self._stop.is_set():
                break
            self._pump_logged(self.failure)
        if self.pump_on_stop:
            self._pump_logged(f"{self.failure} while stopping")

    def _pump_logged(self, failure: str) -> None:
        try:
            self.pump()
        except Exception:  # logged as the worker's own module, as if it had caught it
            logging.getLogger(type(self).__module__).exception(failure)
