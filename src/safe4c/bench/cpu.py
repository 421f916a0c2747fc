"""CPU time spent by processes, read from /proc: a benchmark figure that other load on the machine does not
distort (wall-clock throughput does). Linux only; elsewhere the figures are reported as unavailable."""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    # the command name may hold spaces: fields start after its closing parenthesis
    return raw[raw.rindex(")") + 2:].split()


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def process_tree(root: int) -> list[int]:
    """The process and all its descendants."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (fields := _stat(int(name))):
            children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def postgres_pids() -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/comm") as f:
                    if f.read().strip() == "postgres":
                        pids.append(int(name))
            except OSError:
                continue
    return pids


def _per_pid(pids) -> dict[int, float]:
    found = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            found[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return found


class CpuMeter:
    """CPU seconds used by a server's process tree and by PostgreSQL between start() and stop().

    ``postgres``: True for every PostgreSQL process on the machine, or a function returning the process ids to
    count (a benchmark's own backends, found by application_name: the database is shared with other work).
    Counted process by process, so a process that ends meanwhile (another client's backend) is not subtracted
    from the others; one that starts meanwhile is counted whole."""

    def __init__(self, server_pid: int, *, postgres):
        self.server_pid, self.postgres = server_pid, postgres

    def _db(self) -> dict[int, float]:
        if not self.postgres:
            return {}
        return _per_pid(self.postgres() if callable(self.postgres) else postgres_pids())

    def start(self) -> None:
        self._start = (_per_pid(process_tree(self.server_pid)), self._db())

    def stop(self) -> tuple[float, float]:
        end = (_per_pid(process_tree(self.server_pid)), self._db())
        return tuple(sum(v - before.get(pid, 0.0) for pid, v in after.items())
                     for before, after in zip(self._start, end))
