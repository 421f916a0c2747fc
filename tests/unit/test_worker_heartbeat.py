"""The worker's heartbeat keeps going while it is busy (no database: the loop alone, with a fake clock)."""

from __future__ import annotations

from safe4c.worker import BEAT_SECONDS, Worker


class BusyWorker(Worker):
    """Always has work; records beats; stops after a number of loops."""

    def __init__(self, loops: int):
        super().__init__(uow_factory=None, handlers={}, poll_seconds=0.0)
        self.loops, self.beats = loops, 0

    def beat(self) -> None:
        self.beats += 1

    def run_once(self, limit: int = 20) -> int:
        self.loops -= 1
        if self.loops <= 0:
            self.stop()
        return 1


class FakeMonotonic:
    def __init__(self, step: float):
        self.t, self.step = 0.0, step

    def __call__(self) -> float:
        return self.t

    def tick(self) -> None:
        self.t += self.step


def test_a_busy_worker_keeps_beating():
    worker = BusyWorker(loops=10)
    clock = FakeMonotonic(step=BEAT_SECONDS)
    original = worker.run_once

    def run_once_slowly(limit: int = 20) -> int:
        clock.tick()  # each batch takes one beat interval
        return original(limit)

    worker.run_once = run_once_slowly
    worker.run_forever(monotonic=clock)
    assert worker.beats == 10  # one before every batch, though the worker was never idle


def test_a_fast_busy_worker_does_not_beat_on_every_batch():
    worker = BusyWorker(loops=10)
    worker.run_forever(monotonic=FakeMonotonic(step=0))  # time stands still
    assert worker.beats == 1
