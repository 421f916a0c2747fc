"""A small HTTP/1.1 keep-alive load generator on asyncio streams.

Lighter than a full client library, so on a 2-core machine the server, not the client, is measured.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, other: LoadResult) -> None:
        """Count ``other``'s requests in this result too (rounds of one benchmark)."""
        self.latencies += other.latencies
        self.seconds += other.seconds
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _client(host: str, port: int, requests: list[bytes], next_index, result: LoadResult) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (i := next_index()) is not None:
            started = time.perf_counter()
            writer.write(requests[i % len(requests)])
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


def post_request(path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    head = (f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n")
    return head.encode() + body


def run_load(host: str, port: int, requests: list[bytes], *, total: int, concurrency: int) -> LoadResult:
    result = LoadResult()
    counter = iter(range(total))

    def next_index():
        return next(counter, None)

    async def main():
        started = time.perf_counter()
        await asyncio.gather(*(_client(host, port, requests, next_index, result) for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started

    run_on_own_loop(main())
    return result


def run_on_own_loop(coroutine):
    """``asyncio.run(coroutine)`` in a thread of its own: the caller's thread may already run an event loop (a
    test process whose browser fixture runs Playwright's)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
