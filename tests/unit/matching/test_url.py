import pytest

from safe4c.kernel.urls import url_match_key
from safe4c.hashlist.matching import InvalidSignal, normalise_signal


def normalise_url(value: str) -> str:
    return normalise_signal("url", value)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://Example.COM/Path", "https://example.com/Path"),
        ("https://example.com", "https://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("example.com/a", "https://example.com/a"),
        ("example.org:8080/a", "https://example.org:8080/a"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/", "https://example.com/a/"),
        ("https://example.com/%7euser/%2f%3a", "https://example.com/~user/%2F%3A"),
        ("https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"),
        ("https://b\u00fccher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
    ],
)
def test_scheme_host_port_path_are_canonical(raw, canonical):
    assert normalise_url(raw) == canonical


def test_tracking_parameters_are_dropped():
    url = (
        "https://www.instagram.com/p/abc/?utm_source=ig_web&UTM_Medium=x&igshid=1&igsh=2"
        "&fbclid=3&gclid=4&si=5&msclkid=6&ttclid=7&_ga=8&keep=yes"
    )
    assert normalise_url(url) == "https://instagram.com/p/abc?keep=yes"  # one host per platform


def test_only_tracking_parameters_leaves_no_question_mark():
    assert normalise_url("https://youtu.be/xyz?si=abc") == "https://youtu.be/xyz"


def test_remaining_parameters_are_sorted_by_name_keeping_repeats_in_order():
    assert normalise_url("https://e.com/?b=2&a=9&a=1&c=") == "https://e.com/?a=9&a=1&b=2&c="
    # the same link shared twice in different order compares equal
    assert normalise_url("https://e.com/v?id=7&t=30") == normalise_url("https://e.com/v?t=30&id=7")


def test_query_encoding_is_deterministic():
    assert normalise_url("https://e.com/?q=a+b&r=a%20b&s=%e2%82%ac") == "https://e.com/?q=a%20b&r=a%20b&s=%E2%82%AC"


def test_normalising_twice_changes_nothing():
    once = normalise_url("HTTP://Ex.com:80/a/../b?z=1&utm_x=2&a=%7e#f")
    assert normalise_url(once) == once


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://example.com/file", "unsupported_scheme"),
        ("javascript:alert(1)", "unsupported_scheme"),
        ("mailto:someone@example.com", "unsupported_scheme"),
        ("https://exa mple.com/", "bad_url"),
        ("https:///path-only", "bad_url"),
        ("https://example.com:99999/", "bad_url"),
        ("https://exa<mple.com/", "bad_url"),
        ("https://localhost/a", "bad_url"),  # a lone word is not a web address
        ("https://example.com/" + "a" * 9000, "too_long"),
    ],
)
def test_unusable_urls_raise_typed_errors(raw, code):
    with pytest.raises(InvalidSignal) as caught:
        normalise_url(raw)
    assert caught.value.code == code


def test_http_and_https_share_one_match_key_and_keep_their_canonical_form():
    http, https = normalise_url("http://Example.com/a?x=1"), normalise_url("https://example.com/a?x=1")
    assert (http, https) == ("http://example.com/a?x=1", "https://example.com/a?x=1")
    assert url_match_key(http) == url_match_key(https) == https
    assert url_match_key(normalise_url("https://example.com/b")) != url_match_key(https)
