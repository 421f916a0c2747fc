"""Start `safe4c serve`-equivalent uvicorn processes on a free loopback port for a benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(*, database_url: str, data_dir: str, workers: int, extra_env: dict | None = None):
    port = free_port()
    env = {**os.environ, "SAFE4C_DATABASE_URL": database_url, "SAFE4C_DATA_DIR": data_dir,
           "SAFE4C_SECRET_KEY": "bench-secret", "SAFE4C_PUBLIC_RATE_LIMIT_PER_MINUTE": "0", **(extra_env or {})}
    if os.environ.get("SAFE4C_BENCH_SERVER_PYTHONPATH"):
        # Another version of the server under the same harness (before/after figures): e.g. the src/ folder of
        # `git archive <commit> src | tar -x -C DIR`, whose safe4c package is then imported first.
        env["PYTHONPATH"] = os.environ["SAFE4C_BENCH_SERVER_PYTHONPATH"]
    # stderr goes to a file, not a pipe: nobody reads a pipe while the benchmark runs, and a full one would
    # block the server on its next log line.
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "safe4c.web.app:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
             "--no-proxy-headers"],  # as `safe4c serve`: SAFE4C_TRUSTED_PROXIES alone decides
            env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("benchmark server did not start: " + _tail(errors)) from None
                    time.sleep(0.2)
            yield port, proc.pid
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a server the benchmark started: SIGTERM, then SIGKILL if it has not ended within ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tail(file, size: int = 2000) -> str:
    file.seek(0, os.SEEK_END)
    file.seek(max(0, file.tell() - size))
    return file.read().decode(errors="replace")
