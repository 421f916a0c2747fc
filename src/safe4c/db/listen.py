"""Wake-ups from PostgreSQL: LISTEN for the NOTIFY that a trigger on ``jobs`` sends, with the job's priority, when
a ready job is inserted (migration 0005), and tell the worker (``notify(priority)``). Notifications are sent at
commit, so a woken worker always finds the job.

A missed notification only costs time: the worker still polls (``SAFE4C_WORKER_POLL_SECONDS``), and after every
(re)connection it is told once, for jobs enqueued while nobody listened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

log = logging.getLogger(__name__)

CHANNEL = "safe4c_jobs"
UNKNOWN = 1 << 15  # a wake-up that says nothing of priority: it wakes an idle worker, never preempts a batch
RECONNECT_SECONDS = 2.0


class JobListener:
    """A daemon thread holding one connection of its own (outside the pool) that LISTENs on ``CHANNEL``."""

    def __init__(self, engine: Engine, notify: Callable[[int], None], *, check_seconds: float = 1.0):
        self.engine, self.notify, self.check_seconds = engine, notify, check_seconds
        self._stop = threading.Event()
        self.listening = threading.Event()  # set while LISTEN is in force (tests wait for it)
        self._thread: threading.Thread | None = None

    def start(self) -> "JobListener":
        self._thread = threading.Thread(target=self._run, name="safe4c-job-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.check_seconds + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # noqa: BLE001 - the database may be away; poll meanwhile, then reconnect
                log.warning("job listener disconnected (%s); polling until it reconnects", type(exc).__name__)
            self.listening.clear()
            self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        pooled = self.engine.raw_connection()
        conn = pooled.driver_connection  # psycopg's own connection
        pooled.detach()  # a connection of our own: it stays in LISTEN and is never handed to anyone else
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            self.notify(UNKNOWN)
            while not self._stop.is_set():
                # Returns after the first notification or check_seconds, so stop() is seen promptly.
                for note in conn.notifies(timeout=self.check_seconds, stop_after=1):
                    self.notify(int(note.payload) if note.payload.isdigit() else UNKNOWN)
        finally:
            pooled.close()
