"""The worker's housekeeping schedule (no database: the chores recorded, with a fake clock)."""

from __future__ import annotations

from safe4c.worker import TIDY_SECONDS, Worker


class RecordingWorker(Worker):
    def __init__(self):
        super().__init__(uow_factory=None, handlers={})
        self.done: list[str] = []

    def statistics_seconds(self) -> float:
        return 60.0

    def snapshot_seconds(self) -> float:
        return 30.0

    def refresh_statistics(self) -> None:
        self.done.append("statistics")

    def refresh_hashlist_snapshot(self) -> bool:
        self.done.append("snapshot")
        raise OSError("a full disk: the other chores go on")

    def tidy(self) -> None:
        self.done.append("tidy")

    def beat(self) -> None:
        pass


class Clock:
    t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_each_chore_runs_first_one_interval_after_the_start_then_on_its_own_schedule():
    worker, clock = RecordingWorker(), Clock()
    housekeeping = worker.housekeeping(monotonic=clock)
    housekeeping.schedule()
    assert housekeeping.run_due() == clock.t + 30 and worker.done == []  # nothing at start, statistics included
    clock.t += 30
    assert housekeeping.run_due() == clock.t + 30 and worker.done == ["snapshot"]
    clock.t += 30  # 60 s after the start
    housekeeping.run_due()
    assert worker.done == ["snapshot", "statistics", "snapshot"]  # a failing chore did not stop the next time
    clock.t = 1000.0 + TIDY_SECONDS
    housekeeping.run_due()
    assert worker.done[-3:] == ["statistics", "snapshot", "tidy"]


def test_a_stopped_worker_stops_its_housekeeping():
    worker = RecordingWorker()
    worker.run_once = lambda limit=20: worker.stop() or 0
    worker.run_forever()
    assert worker._housekeeping.stop_event.is_set() and not worker._housekeeping._thread.is_alive()
