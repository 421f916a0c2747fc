"""Public limits shared through the database (SQLite and PostgreSQL): two app instances, and two real server
processes, count against one limit; behind a trusted proxy each forwarded client has its own bucket, and a
forwarded address from anyone else is ignored."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from safe4c.bench.server import free_port
from safe4c.db.tables import Report
from safe4c.web.app import create_app

REPORT = {"situations": ["grooming"], "story": "Seseorang terus mengirim pesan dan meminta foto.",
          "contact_method": "none"}
STATUS = {"code": "AAAA-BBBB-CCCC-DDDD"}


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Report))


def counters(engine) -> list[int]:
    """The hits of every counter row (one per bucket and minute)."""
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT hits FROM rate_counters")))


def instance(engine, settings, clock, *, peer=("198.51.100.7", 40000), **changes) -> TestClient:
    """An app of its own (its own limiter and memory) on the shared database, as another process would be."""
    app = create_app(settings.model_copy(update=changes), clock=clock, engine=engine)
    return TestClient(app, client=peer)


def send(client, headers=None) -> int:
    return client.post("/api/v1/public/reports", json=REPORT, headers=headers or {}).status_code


def test_two_app_instances_on_one_database_share_one_limit(engine, settings, clock):
    a = instance(engine, settings, clock, public_rate_limit_per_minute=3)
    b = instance(engine, settings, clock, public_rate_limit_per_minute=3)
    assert [send(a), send(b), send(a)] == [201, 201, 201]
    assert send(b) == 429 and send(a) == 429
    assert count(engine) == 3  # a refused report stores nothing
    assert counters(engine) == [3]  # and is not counted
    r = b.post("/api/v1/public/reports", json=REPORT, headers={"Accept-Language": "en"})
    assert r.json()["error"]["code"] == "rate_limited"
    clock.advance(seconds=60)  # the next minute
    assert send(a) == 201


def test_codes_that_find_nothing_are_limited_across_instances_and_apart_from_reports(engine, settings, clock):
    a = instance(engine, settings, clock, status_rate_limit_per_minute=2, public_rate_limit_per_minute=2)
    b = instance(engine, settings, clock, status_rate_limit_per_minute=2, public_rate_limit_per_minute=2)
    code = a.post("/api/v1/public/reports", json=REPORT).json()["followup_code"]
    for _ in range(3):  # the reporter's own code: read only, never counted
        assert a.post("/api/v1/public/reports/status", json={"code": code}).status_code == 200
    assert a.post("/api/v1/public/reports/status", json=STATUS).status_code == 404  # a wrong guess counts
    assert b.post("/status", data=STATUS).status_code == 404
    r = a.post("/api/v1/public/reports/status", json={"code": code}, headers={"Accept-Language": "en"})
    assert r.status_code == 429 and "Too many status checks" in r.json()["error"]["message"]
    r = b.post("/status", data=STATUS)
    assert r.status_code == 429 and "Terlalu banyak pengecekan status dari koneksimu" in r.text
    assert send(a) == 201  # reports have their own bucket
    clock.advance(seconds=60)
    assert b.post("/status", data={"code": code}).status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(engine, settings, clock):
    proxy = instance(engine, settings, clock, peer=("10.0.0.2", 50000), public_rate_limit_per_minute=2,
                     trusted_proxies=["10.0.0.0/8"])
    child_1, child_2 = {"X-Forwarded-For": "203.0.113.1"}, {"X-Forwarded-For": "203.0.113.2"}
    assert [send(proxy, child_1), send(proxy, child_1), send(proxy, child_1)] == [201, 201, 429]
    assert [send(proxy, child_2), send(proxy, child_2)] == [201, 201]  # not blocked by the first child
    # a child cannot get a fresh bucket by writing its own X-Forwarded-For: the proxy appends the real one
    assert send(proxy, {"X-Forwarded-For": "192.0.2.50, 203.0.113.1"}) == 429
    # the proxy's own address (no header) is a bucket of its own too
    assert [send(proxy), send(proxy)] == [201, 201]


def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(engine, settings, clock):
    spoofer = instance(engine, settings, clock, peer=("198.51.100.7", 40000), public_rate_limit_per_minute=2,
                       trusted_proxies=["10.0.0.0/8"])
    codes = [send(spoofer, {"X-Forwarded-For": f"203.0.113.{n}", "Forwarded": f"for=203.0.113.{n}"})
             for n in range(1, 5)]
    assert codes == [201, 201, 429, 429]


def test_old_minutes_are_deleted(engine, settings, clock):
    a = instance(engine, settings, clock, public_rate_limit_per_minute=5)
    assert send(a) == 201
    clock.advance(seconds=60)
    assert send(a) == 201
    clock.advance(seconds=120)
    assert send(a) == 201  # this process's first hit in a new minute deletes what is older than the last one
    assert counters(engine) == [1]


def _post(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/v1/public/reports", json.dumps(REPORT), {"Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


@contextmanager
def server_process(url: str, data_dir: str, env: dict):
    """`safe4c serve` as its own process (uvicorn, one worker) on a free port."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "safe4c.web.app:create_app", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env={**os.environ, "SAFE4C_DATABASE_URL": url, "SAFE4C_DATA_DIR": data_dir,
                                 "SAFE4C_SECRET_KEY": "two-processes", **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_two_server_processes_share_one_limit(engine, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    env = {"SAFE4C_PUBLIC_RATE_LIMIT_PER_MINUTE": "4", "SAFE4C_WORKER_IN_PROCESS": "false"}
    with server_process(url, str(tmp_path), env) as port_a, server_process(url, str(tmp_path), env) as port_b:
        while time.time() % 60 > 50:  # the servers count per calendar minute: send all six within one
            time.sleep(0.5)
        codes = [_post(port) for port in (port_a, port_b) * 3]
    assert sorted(codes) == [201] * 4 + [429] * 2, codes
    assert count(engine) == 4
