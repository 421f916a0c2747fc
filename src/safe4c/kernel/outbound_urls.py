"""Where safe4c may send a platform's webhook: https, to a public address only (no server-side request forgery).

A webhook URL that named safe4c's own machine (127.0.0.1, localhost), its private network (10/8, 192.168/16 ...)
or a cloud metadata address (169.254.169.254) would make safe4c send requests inside the network on a
platform's behalf. So a URL is checked when a platform is registered (literal addresses, and the addresses its
name resolves to), and again at every delivery, because DNS can change after registration: the name is resolved,
every address it resolves to must be public, and the request goes to that checked address (the TLS name and
Host header stay the URL's host). ``SAFE4C_WEBHOOK_ALLOW_PRIVATE=true`` (development) allows http and any address.

A name that does not resolve at registration is accepted: nothing can be sent to it, and delivery checks again.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from safe4c.kernel.addresses import parse_ip, is_public
from safe4c.kernel.i18n import N_
from safe4c.kernel.errors import FieldError

MAX_URL = 500

# (host, port) -> the addresses it resolves to; raises OSError when it does not resolve
Resolver = Callable[[str, int], list[str]]

NOT_HTTPS = N_("The webhook address must start with https://.")
NOT_A_URL = N_("The webhook address is not a valid web address (like https://hooks.example.com/safe4c).")
NOT_PUBLIC = N_("The webhook address must be reachable on the public internet: not a private, loopback or other "
                "internal network address.")


class AddressRefused(Exception):
    """At delivery: the webhook's host is, or now resolves to, an address safe4c must not send to."""


def system_resolve(host: str, port: int) -> list[str]:
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


@dataclass(frozen=True)
class Target:
    url: str  # the URL with the checked address in place of the name
    host_header: str  # the URL's host[:port], sent as Host
    sni_hostname: str | None  # the name TLS verifies (https only)


def _parts(url: str, *, allow_private: bool):
    """(scheme, host, port, split URL) or a message saying what is wrong with the URL's form."""
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        return NOT_A_URL
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        return NOT_A_URL
    scheme = split.scheme.lower()
    if scheme != "https" and not (allow_private and scheme == "http"):
        return NOT_HTTPS
    if not split.hostname or split.username is not None or split.password is not None:
        return NOT_A_URL
    return scheme, split.hostname, port or (443 if scheme == "https" else 80), split


def _check_addresses(addresses: list[str]) -> bool:
    """True when every address is public (all of them: a name must not also lead inside the network)."""
    ips = [parse_ip(a.partition("%")[0]) for a in addresses]  # "%eth0": an IPv6 zone index
    return bool(ips) and all(ip is not None and is_public(ip) for ip in ips)


def url_errors(url: str | None, *, allow_private: bool, resolve: Resolver = system_resolve) -> list[FieldError]:
    """At registration: the errors for a webhook URL (none for no URL)."""
    if url is None:
        return []
    parts = _parts(url, allow_private=allow_private)
    if isinstance(parts, str):
        return [FieldError("webhook_url", parts)]
    if allow_private:
        return []
    _, host, port, _ = parts
    literal = parse_ip(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except OSError:
            return []  # not resolvable now: checked again at each delivery
    return [] if _check_addresses(addresses) else [FieldError("webhook_url", NOT_PUBLIC)]


def delivery_target(url: str, *, allow_private: bool, resolve: Resolver = system_resolve) -> Target:
    """At delivery: the checked address to send to. Raises ``AddressRefused``, or ``OSError`` when the host
    does not resolve."""
    parts = _parts(url, allow_private=allow_private)
    if isinstance(parts, str):
        raise AddressRefused(parts)
    scheme, host, port, split = parts
    literal = parse_ip(host)
    addresses = [str(literal)] if literal is not None else resolve(host, port)
    if not addresses:
        raise OSError("the webhook host has no address")
    if not allow_private and not _check_addresses(addresses):
        raise AddressRefused(NOT_PUBLIC)
    address = addresses[0].partition("%")[0]
    netloc = f"[{address}]" if ":" in address else address
    if split.port is not None:
        netloc += f":{split.port}"
    pinned = urlunsplit((scheme, netloc, split.path or "/", split.query, ""))
    host_header = split.netloc.rpartition("@")[2]
    return Target(pinned, host_header, host if scheme == "https" and literal is None else None)
