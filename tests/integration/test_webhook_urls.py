"""Webhook URLs must be https and reach public addresses, at registration and again at every delivery (DNS can
change), unless the development setting allows http and private addresses. SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import os
import socket
import subprocess
import sys
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from safe4c.db.platforms import Platform, WebhookDelivery
from safe4c.kernel.errors import Invalid
from safe4c.access import platforms
from safe4c.takedowns import orders as takedowns, webhooks
from safe4c.web.i18n import translate

_ORDERS = itertools.count(1)  # one open order per platform and target: each order its own target

PUBLIC = "93.184.215.14"
NOT_HTTPS = "The webhook address must start with https://."
NOT_PUBLIC = ("The webhook address must be reachable on the public internet: not a private, loopback or other "
              "internal network address.")
NOT_A_URL = "The webhook address is not a valid web address (like https://hooks.example.com/safe4c)."


def dns(table: dict[str, list[str]]):
    """A resolver you can read: names in the table resolve, others do not exist."""
    def resolve(host, port):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]
    return resolve


DNS = dns({"hooks.example.com": [PUBLIC], "localhost": ["127.0.0.1", "::1"], "intranet.example.com": ["10.1.2.3"],
           "metadata.example.com": ["169.254.169.254"], "mixed.example.com": [PUBLIC, "192.168.0.10"],
           "v6.example.com": ["2001:4860:4860::8888"], "mapped.example.com": ["::ffff:127.0.0.1"]})


def register(uow_factory, url, name="TikTok Indonesia"):
    with uow_factory() as uow:
        return platforms.create_platform(uow=uow, name=name, taxonomy_code="tiktok", webhook_url=url, resolve=DNS)


def platform_count(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(Platform))


@pytest.mark.parametrize("url, message", [
    ("http://hooks.example.com/safe4c", NOT_HTTPS),
    ("ftp://hooks.example.com/safe4c", NOT_HTTPS),
    ("https://127.0.0.1/hook", NOT_PUBLIC),
    ("https://127.0.0.1:8443/hook", NOT_PUBLIC),
    ("https://10.0.0.5/hook", NOT_PUBLIC),
    ("https://[::1]/hook", NOT_PUBLIC),
    ("https://[::ffff:7f00:1]/hook", NOT_PUBLIC),
    ("https://169.254.169.254/latest/meta-data", NOT_PUBLIC),
    ("https://0.0.0.0/hook", NOT_PUBLIC),
    ("https://localhost/hook", NOT_PUBLIC),
    ("https://intranet.example.com/hook", NOT_PUBLIC),
    ("https://metadata.example.com/hook", NOT_PUBLIC),
    ("https://mixed.example.com/hook", NOT_PUBLIC),  # one private address is enough to refuse
    ("https://mapped.example.com/hook", NOT_PUBLIC),
    ("https://user:secret@hooks.example.com/hook", NOT_A_URL),
    ("https:///hook", NOT_A_URL),
    ("https://hooks.example.com:99999/hook", NOT_A_URL),
    ("https://hooks.example.com/a b", NOT_A_URL),
])
def test_registration_refuses_http_and_internal_addresses(uow_factory, url, message):
    with pytest.raises(Invalid) as refused:
        register(uow_factory, url)
    assert [(f.field, f.message) for f in refused.value.fields] == [("webhook_url", message)]
    assert platform_count(uow_factory) == 0  # nothing saved


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hook", "https://127.0.0.1/hook", "https://10.0.0.5/hook",
                                 "https://169.254.169.254/latest/meta-data", "https://[::1]/hook"])
def test_loopback_private_and_http_addresses_are_refused_by_default(uow_factory, url):
    with uow_factory() as uow, pytest.raises(Invalid):  # literal addresses: no DNS involved
        platforms.create_platform(uow=uow, name="Loopback Platform", webhook_url=url)
    assert platform_count(uow_factory) == 0


@pytest.mark.parametrize("url", ["https://hooks.example.com/safe4c", f"https://{PUBLIC}/hook",
                                 "https://v6.example.com:8443/hook?x=1", "https://not-yet-in-dns.example.com/hook"])
def test_registration_accepts_public_https_addresses(uow_factory, url):
    register(uow_factory, url)
    assert platform_count(uow_factory) == 1


def test_the_development_setting_allows_http_and_loopback(uow_factory, settings):
    settings.webhook_allow_private = True
    register(uow_factory, "http://127.0.0.1:9000/hook")
    register(uow_factory, "https://intranet.example.com/hook", name="Intranet Platform")
    assert platform_count(uow_factory) == 2


def test_the_errors_are_in_indonesian_and_english():
    assert translate("id", NOT_PUBLIC).startswith("Alamat webhook harus dapat dijangkau di internet publik")
    assert translate("id", NOT_HTTPS) == "Alamat webhook harus diawali https://."
    assert translate("en", NOT_PUBLIC) == NOT_PUBLIC


class Listener:
    """A local HTTP endpoint that records every request (and counts connections, even ones that send nothing)."""

    def __init__(self):
        self.requests: list[dict] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers["Content-Length"]))
                listener.requests.append({"host": self.headers["Host"], "path": self.path})
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.stop()


def order_delivery(uow_factory, platform_id: int) -> int:
    with uow_factory() as uow:
        takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=platform_id, target_type="url", target_value=f"https://video.example.com/v/{next(_ORDERS)}",
            category="csam"))
    with uow_factory() as uow:
        return uow.session.scalar(select(WebhookDelivery.id))


def delivery(uow_factory, delivery_id: int):
    with uow_factory() as uow:
        return uow.session.execute(select(WebhookDelivery.attempts, WebhookDelivery.last_error,
                                          WebhookDelivery.delivered_at).where(WebhookDelivery.id == delivery_id)).one()


def test_a_name_that_resolves_inside_the_network_after_registration_is_not_delivered_to(uow_factory, listener):
    made = register(uow_factory, f"https://hooks.example.com:{listener.port}/safe4c")  # public when registered
    delivery_id = order_delivery(uow_factory, made.id)
    rebound = dns({"hooks.example.com": ["127.0.0.1"]})  # then the name is pointed at safe4c's own machine
    with uow_factory() as uow:
        outcome = webhooks.deliver(uow=uow, delivery_id=delivery_id, send=partial(webhooks.http_send, resolve=rebound))
    assert outcome == "retry"
    assert delivery(uow_factory, delivery_id)[:2] == (1, "AddressRefused")
    assert listener.requests == []


def test_delivery_goes_to_the_checked_address_with_the_urls_host(uow_factory, settings, listener):
    settings.webhook_allow_private = True  # the listener is plain http on 127.0.0.1
    made = register(uow_factory, f"http://hooks.test:{listener.port}/hooks/safe4c?v=1")
    delivery_id = order_delivery(uow_factory, made.id)
    resolved = dns({"hooks.test": ["127.0.0.1"]})  # a name only this resolver knows: only the pinned address works
    with uow_factory() as uow:
        outcome = webhooks.deliver(uow=uow, delivery_id=delivery_id,
                                   send=partial(webhooks.http_send, allow_private=True, resolve=resolved))
    assert outcome == "delivered"
    assert listener.requests == [{"host": f"hooks.test:{listener.port}", "path": "/hooks/safe4c?v=1"}]


def test_turning_the_development_setting_off_stops_deliveries_to_loopback(uow_factory, settings, listener):
    settings.webhook_allow_private = True
    made = register(uow_factory, f"http://127.0.0.1:{listener.port}/hook")
    delivery_id = order_delivery(uow_factory, made.id)
    settings.webhook_allow_private = False  # production: the default sender checks again
    with uow_factory() as uow:
        assert webhooks.deliver(uow=uow, delivery_id=delivery_id) == "retry"
    assert delivery(uow_factory, delivery_id)[:2] == (1, "AddressRefused")
    assert listener.requests == []
    settings.webhook_allow_private = True
    with uow_factory() as uow:
        assert webhooks.deliver(uow=uow, delivery_id=delivery_id) == "delivered"
    assert len(listener.requests) == 1


def test_the_cli_refuses_an_internal_webhook_unless_the_development_setting_allows_it(tmp_path):
    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="cli-test")

    def run(*args, **extra):
        return subprocess.run([sys.executable, "-m", "safe4c.cli", *args], env={**env, **extra},
                              capture_output=True, text=True, timeout=120)

    assert run("db", "upgrade").returncode == 0
    refused = run("platform", "create", "Satu", "--webhook-url", "http://127.0.0.1:9000/hook")
    assert refused.returncode == 2 and f"webhook_url: {NOT_HTTPS}" in refused.stderr
    refused = run("platform", "create", "Satu", "--webhook-url", "https://192.168.1.20/hook")
    assert refused.returncode == 2 and f"webhook_url: {NOT_PUBLIC}" in refused.stderr
    allowed = run("platform", "create", "Satu", "--webhook-url", "http://127.0.0.1:9000/hook",
                  SAFE4C_WEBHOOK_ALLOW_PRIVATE="true")
    assert allowed.returncode == 0, allowed.stderr
