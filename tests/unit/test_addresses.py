"""Client addresses behind trusted proxies, what a limit counts by, and which addresses are public (pure)."""

from __future__ import annotations

import pytest

from safe4c.kernel.addresses import bucket_address, is_public, parse_ip
from safe4c.web.proxies import ClientAddresses

PROXIES = ClientAddresses(["10.0.0.0/8", "2001:db8:abcd::/48"])


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_forwards():
    plain = ClientAddresses([])
    assert plain.resolve("198.51.100.7", ["203.0.113.9"]) == "198.51.100.7"
    assert plain.resolve("10.0.0.2", ["203.0.113.9"]) == "10.0.0.2"
    assert plain.resolve(None, []) == "unknown"
    assert plain.resolve("testclient", ["203.0.113.9"]) == "testclient"


def test_a_trusted_proxy_forwards_the_right_most_address_that_is_not_a_proxy():
    assert PROXIES.resolve("10.0.0.2", ["203.0.113.9"]) == "203.0.113.9"
    # what the client wrote itself (left) is ignored; the proxies' own hops (right) are skipped
    assert PROXIES.resolve("10.0.0.2", ["1.2.3.4, 203.0.113.9, 10.1.1.1"]) == "203.0.113.9"
    assert PROXIES.resolve("10.0.0.2", ["1.2.3.4", "203.0.113.9"]) == "203.0.113.9"  # two header lines
    assert PROXIES.resolve("2001:db8:abcd::1", ["[2001:db8:1::5]:4711"]) == "2001:db8:1::5"
    assert PROXIES.resolve("10.0.0.2", ["203.0.113.9:5000"]) == "203.0.113.9"


def test_an_untrusted_peer_cannot_choose_its_address_by_sending_the_header():
    assert PROXIES.resolve("198.51.100.7", ["10.0.0.5"]) == "198.51.100.7"
    assert PROXIES.resolve("198.51.100.7", ["203.0.113.9"]) == "198.51.100.7"


def test_a_proxy_without_a_usable_header_is_the_last_address_vouched_for():
    assert PROXIES.resolve("10.0.0.2", []) == "10.0.0.2"
    assert PROXIES.resolve("10.0.0.2", ["garbage"]) == "10.0.0.2"
    assert PROXIES.resolve("10.0.0.2", ["garbage, 10.0.0.3"]) == "10.0.0.3"
    assert PROXIES.resolve("::ffff:10.0.0.2", ["203.0.113.9"]) == "203.0.113.9"  # an IPv4-mapped peer


def test_an_ipv6_client_counts_as_its_slash_64():
    assert bucket_address("2001:db8:1:2:aaaa::1") == bucket_address("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert bucket_address("2001:db8:1:3::1") != bucket_address("2001:db8:1:2::1")
    assert bucket_address("203.0.113.9") == "203.0.113.9"
    assert bucket_address("testclient") == "testclient"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.2.1", "::1", "::", "fe80::1", "fc00::1",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::", "2002:a00:1::", "64:ff9b::a9fe:a9fe",
    "2001:db8::1",
])
def test_internal_addresses_are_not_public(address):
    assert not is_public(parse_ip(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_internet_addresses_are_public(address):
    assert is_public(parse_ip(address))
