"""Webhook delivery over real HTTP to a receiver on 127.0.0.1 that fails, times out, goes down and recovers.

The worker uses the real sender (httpx); time between attempts is moved with the injected clock, and safe4c is
"restarted" (a new engine, unit-of-work factory and worker on the same database) between attempts, so the
retry schedule is shown to live in the database.
"""

from __future__ import annotations

import itertools

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from safe4c.db.platforms import WebhookDelivery
from safe4c.db.session import make_engine, make_session_factory
from safe4c.takedowns.rules import signing
from safe4c.access import platforms
from safe4c.takedowns import orders as takedowns
from safe4c.kernel.uow import Context, UnitOfWork
from safe4c.worker import Worker

_ORDERS = itertools.count(1)  # one open order per platform and target: each order its own target


class Receiver:
    """A platform's webhook endpoint: answers per a script ("fail", "slow", "ok"), checks every signature."""

    def __init__(self, secret_box: dict, port: int = 0):
        self.script: list[str] = []
        self.arrived: list[dict] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                action = receiver.script.pop(0) if receiver.script else "ok"
                ok = signing.verify(self.headers.get(signing.SIGNATURE_HEADER, ""), body, secret_box["secret"],
                                    now=int(secret_box["now"]()))
                if action == "slow":
                    time.sleep(1.5)  # longer than safe4c's timeout (0.5 s in this test)
                if not ok:
                    receiver.bad_signatures += 1
                receiver.arrived.append({"action": action, "event": json.loads(body),
                                         "delivery": self.headers.get(signing.DELIVERY_HEADER)})
                self.send_response(500 if action == "fail" else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fast_settings(settings):
    # The receiver is on 127.0.0.1 over http: allowed only by the development setting.
    return settings.model_copy(update={"webhook_timeout_seconds": 0.5, "webhook_allow_private": True})


def start_safe4c(engine_url: str, settings, clock):
    """A fresh process's view: new engine, new factory, new worker."""
    engine = make_engine(engine_url, **({} if engine_url.startswith("sqlite") else {"pool_size": 2}))
    factory = make_session_factory(engine)
    ctx = Context.build(settings, clock)
    uow_factory = lambda: UnitOfWork(factory, ctx)  # noqa: E731
    return engine, uow_factory, Worker(uow_factory)  # default handlers: the real HTTP sender


def delivery(uow_factory) -> WebhookDelivery:
    with uow_factory() as uow:
        d = uow.session.scalar(select(WebhookDelivery).order_by(WebhookDelivery.id).limit(1))
        uow.session.expunge_all()
        return d


def test_delivery_fails_times_out_survives_restarts_and_an_hour_down_then_arrives(engine, fast_settings, clock):
    url = engine.url.render_as_string(hide_password=False)
    secret_box = {"now": lambda: clock.now().timestamp()}
    receiver = Receiver(secret_box)
    receiver.script = ["fail", "slow"]
    eng, uow_factory, worker = start_safe4c(url, fast_settings, clock)
    with uow_factory() as uow:
        made = platforms.create_platform(uow=uow, name="Receiver Platform",
                                         webhook_url=f"http://127.0.0.1:{receiver.port}/hooks/safe4c")
    secret_box["secret"] = made.webhook_secret
    with uow_factory() as uow:
        order_id = takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=made.id, target_type="url", target_value=f"https://example.com/v/{next(_ORDERS)}", category="csam"))
    try:
        worker.run_once()  # attempt 1: HTTP 500
        d = delivery(uow_factory)
        assert (d.attempts, d.last_status, d.delivered_at) == (1, 500, None)
        eng.dispose()  # restart safe4c
        eng, uow_factory, worker = start_safe4c(url, fast_settings, clock)
        clock.advance(seconds=10)
        started = time.monotonic()
        worker.run_once()  # attempt 2: the platform is too slow
        assert time.monotonic() - started < 1.4  # we gave up waiting after the timeout
        d = delivery(uow_factory)
        assert d.attempts == 2 and d.last_error == "ReadTimeout"

        first = receiver
        receiver.stop()  # the platform goes down for more than an hour
        down_since = clock.now()
        while clock.now() - down_since < timedelta(hours=1):
            d = delivery(uow_factory)
            clock.advance(seconds=max(1, (d.next_attempt_at - clock.now()).total_seconds()))
            worker.run_once()
        d = delivery(uow_factory)
        assert d.delivered_at is None and d.last_error == "ConnectError" and d.attempts >= 8
        eng.dispose()  # and safe4c restarts while it is down
        receiver = Receiver(secret_box, port=receiver.port)  # the platform is back
        back_at = clock.now()
        eng, uow_factory, worker = start_safe4c(url, fast_settings, clock)
        d = delivery(uow_factory)
        clock.advance(seconds=(d.next_attempt_at - clock.now()).total_seconds())
        worker.run_once()
        d = delivery(uow_factory)
        assert d.delivered_at is not None and d.last_status == 204
        assert (d.delivered_at - back_at).total_seconds() <= 3600  # within the longest wait of the schedule
    finally:
        receiver.stop()
        eng.dispose()
    # what arrived: the failed and the slow attempt (before the platform went down), then the successful one,
    # all the same event with valid signatures
    assert [a["action"] for a in first.arrived] == ["fail", "slow"]
    assert [a["action"] for a in receiver.arrived] == ["ok"]
    assert {a["delivery"] for a in first.arrived + receiver.arrived} == {d.event_id}
    assert receiver.arrived[0]["event"]["data"]["id"] == order_id
    assert receiver.arrived[0]["delivery"] == d.event_id
    assert receiver.bad_signatures == first.bad_signatures == 0
