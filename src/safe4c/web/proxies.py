"""The client's address: the connecting peer, or, behind a reverse proxy we trust, the address it forwards.

X-Forwarded-For is read only when the connecting peer is in ``SAFE4C_TRUSTED_PROXIES``, and then from the
right: each trusted proxy appends the address it saw, so the right-most address that is not one of our proxies
is the client. Anything to its left was written by the client and is ignored (a client can send any
X-Forwarded-For it likes). The RFC 7239 ``Forwarded`` header is never read: honouring two headers lets a client
set the one the proxy does not overwrite.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable

from safe4c.kernel.addresses import IPAddress, parse_ip


class ClientAddresses:
    def __init__(self, trusted: Iterable[str]):
        self._networks = tuple(ipaddress.ip_network(t, strict=False) for t in trusted)

    def _trusted(self, ip: IPAddress | None) -> bool:
        return ip is not None and any(ip.version == n.version and ip in n for n in self._networks)

    def resolve(self, peer: str | None, forwarded_for: list[str]) -> str:
        """The client address for a request from ``peer`` carrying these X-Forwarded-For header values."""
        if not peer:
            return "unknown"
        ip = parse_ip(peer)
        address = str(ip) if ip is not None else peer
        if not self._trusted(ip):
            return address
        hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
        for hop in reversed(hops):
            ip = parse_ip(hop)
            if ip is None:
                break  # not written by one of our proxies: the last address they vouched for is all we know
            address = str(ip)
            if not self._trusted(ip):
                break
        return address
