#!/usr/bin/env python3
"""A complete platform integration with safe4c, standard library only (docs/platform-api.md quotes it).

Given the base URL, your API key and your webhook signing secret (from `safe4c platform create`), it:
sends a report, reads it back (by safe4c's id and by your external_id), points your webhook at a receiver it
runs itself and asks for a test event, waits for the takedown order an analyst issues from the report (by pull
and by webhook, the signature verified), acknowledges it, confirms removal, mirrors the hash list with a cursor
and matches a hash from it. It registers nothing itself. Exit status 0 when every step worked.

    python3 examples/platform_client.py --base-url https://safe4c.example.go.id \\
        --api-key "$SAFE4C_KEY" --webhook-secret "$SAFE4C_WEBHOOK_SECRET" --webhook-url https://hooks.example.com/safe4c

Without --webhook-url the receiver's own address is used (http://127.0.0.1:PORT/safe4c), which safe4c accepts
only with SAFE4C_WEBHOOK_ALLOW_PRIVATE=true (development and CI).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"HTTP {status}: {body}")
        self.status, self.body = status, body


class Safe4c:
    """The API: JSON in and out, the key on every request, errors as ApiError (one shape: {"error": ...})."""

    def __init__(self, base_url: str, api_key: str):
        self.base_url, self.api_key = base_url.rstrip("/"), api_key

    def call(self, method: str, path: str, body: object = None, headers: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.api_key}", "Accept-Language": "en",
            **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, json.loads(error.read() or b"{}")) from None


def verify_safe4c(header: str, raw_body: bytes, secret: str, tolerance: int = 300) -> bool:
    """header: the Safe4c-Signature value, e.g. "t=1767600000,v1=3a5f..." (two v1 during a secret rotation)."""
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


def start_receiver(secret: str, port: int) -> tuple[ThreadingHTTPServer, queue.Queue]:
    """Your webhook endpoint: verify the raw body, answer 2xx at once, hand the event on."""
    events: queue.Queue = queue.Queue()
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not verify_safe4c(self.headers.get("Safe4c-Signature", ""), raw, secret):
                self.send_response(400)  # not from safe4c (or too old): refuse, never act on it
            else:
                self.send_response(204)
                delivery = self.headers.get("Safe4c-Delivery", "")
                if delivery not in seen:  # at-least-once delivery: drop repeats by their id
                    seen.add(delivery)
                    events.put(json.loads(raw))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, events


def wait_for_event(events: queue.Queue, kind: str, seconds: float, match=lambda event: True) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if event["type"] == kind and match(event):
            return event
    raise TimeoutError(f"no {kind} event within {seconds} s")


def step(text: str) -> None:
    print(f"- {text}", flush=True)


def send_report(api: Safe4c, external_id: str) -> dict:
    report = {
        "external_id": external_id,
        "incident": {"situation": "sextortion", "time": "2026-01-05T06:30:00+07:00",
                     "escalate_to_urgent": True, "escalation_reason": "The account set a deadline for tonight.",
                     "annotations": ["sextortion"]},
        "reported_accounts": [{"platform_user_id": "7712001", "screen_name": "@contoh.pemeras"}],
        "victims": [{"estimated_age_band": "13_15"}],
        "content": [{"url": f"https://video.example.com/v/{external_id}", "md5": "9e107d9d372bb6826bd81d3542a419d6",
                     "file_name": "clip.mp4", "industry_classification": "unclassified"}],
    }
    # The Idempotency-Key makes a retry after a timeout safe: the same key and body give the same report.
    return api.call("POST", "/api/v1/reports", report, headers={"Idempotency-Key": f"example-{external_id}"})


def pull_order_for(api: Safe4c, external_id: str, seconds: float) -> dict:
    """Page through the open orders until one arose from our report (its report.external_id is ours)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        after = ""
        while True:
            page = api.call("GET", "/api/v1/takedowns?status=open&limit=50" + (f"&after={after}" if after else ""))
            for order in page["items"]:
                if (order["report"] or {}).get("external_id") == external_id:
                    return order
            if not page["next"]:
                break
            after = page["next"]
        time.sleep(0.5)
    raise TimeoutError(f"no order for {external_id} within {seconds} s")


def mirror_hash_list(api: Safe4c, mirror: dict, cursor: str | None) -> str:
    """Apply every page after ``cursor``; store the returned cursor only after applying (resumable)."""
    while True:
        query = "?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        page = api.call("GET", "/api/v1/signals" + query)
        for signal in page["additions"]:
            mirror[signal["id"]] = signal
        for signal in page["removals"]:
            mirror.pop(signal["id"], None)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return cursor


def run(args) -> dict:
    api = Safe4c(args.base_url, args.api_key)
    server, events = start_receiver(args.webhook_secret, args.receiver_port)
    webhook_url = args.webhook_url or f"http://127.0.0.1:{server.server_address[1]}/safe4c"
    try:
        step(f"webhook address set to {webhook_url}")
        api.call("PUT", "/api/v1/webhook", {"url": webhook_url})
        test = api.call("POST", "/api/v1/webhook/test")
        wait_for_event(events, "webhook.test", args.wait_seconds, lambda e: e["id"] == test["id"])
        step("test event received, signature verified")

        external_id = args.external_id or f"EX-{uuid.uuid4().hex[:12]}"
        receipt = send_report(api, external_id)
        mine = api.call("GET", f"/api/v1/reports/{receipt['id']}")
        found = api.call("GET", "/api/v1/reports?" + urllib.parse.urlencode({"external_id": external_id}))
        assert mine["external_id"] == external_id and [r["id"] for r in found["items"]] == [receipt["id"]]
        step(f"report {external_id} sent as {receipt['id']}, read back: status {mine['status']}")

        order = pull_order_for(api, external_id, args.wait_seconds)
        issued = wait_for_event(events, "takedown.issued", args.wait_seconds, lambda e: e["data"]["id"] == order["id"])
        assert issued["data"]["report"] == order["report"]
        step(f"order {order['id']} pulled and received by webhook, due {order['deadline_at']}")
        acknowledged = api.call("POST", f"/api/v1/takedowns/{order['id']}/acknowledge")
        removed = api.call("POST", f"/api/v1/takedowns/{order['id']}/removed")
        assert (acknowledged["status"], removed["status"]) == ("acknowledged", "removed")
        step(f"order acknowledged, removal confirmed at {removed['removed_at']}")

        mirror: dict = {}
        cursor = mirror_hash_list(api, mirror, None)
        again = api.call("GET", f"/api/v1/signals?cursor={cursor}")
        assert not again["additions"] and not again["removals"]
        step(f"hash list mirrored: {len(mirror)} entries, cursor {cursor}")
        matched = None
        if mirror:
            signal = next(iter(mirror.values()))
            result = api.call("POST", "/api/v1/match", {"items": [{"type": signal["type"], "value": signal["value"]}]})
            matched = result["results"][0]["status"]
            assert matched == "match", result
            step(f"a {signal['type']} from the mirror matches")
        return {"report": receipt["id"], "external_id": external_id, "order": order["id"],
                "order_status": removed["status"], "signals": len(mirror), "cursor": cursor, "match": matched}
    finally:
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--webhook-url", help="the public https address that reaches this receiver")
    parser.add_argument("--receiver-port", type=int, default=0, help="the local receiver's port (0: any free one)")
    parser.add_argument("--external-id", help="your reference for the report (default: a new one)")
    parser.add_argument("--wait-seconds", type=float, default=120.0, help="how long to wait for events and orders")
    args = parser.parse_args(argv)
    try:
        summary = run(args)
    except (ApiError, AssertionError, TimeoutError, OSError) as problem:
        print(f"FAILED: {type(problem).__name__}: {problem}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
