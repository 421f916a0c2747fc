"""The in-memory matcher, fed change rows directly (no database): per-item errors, quality floor, distances,
replays, removals, and agreement with the brute-force reference."""

from __future__ import annotations

import random

import pytest

from safe4c.hashlist.matching import BruteForcePdqIndex
from safe4c.hashlist.known_material import signals_in_accounts
from safe4c.reports.rules.intake_jobs import should_match
from safe4c.hashlist.matcher import Matcher, Query

PDQ = "f" * 64
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def row(seq, op, entry_id, signal_type, value, *, bank_id=1, bank="National", confirmed=True):
    return (seq, op, entry_id, signal_type, value, bank_id, bank, confirmed, "csam", [])


def flip(hex_value: str, bits: int) -> str:
    n = int(hex_value, 16)
    for b in range(bits):
        n ^= 1 << b
    return f"{n:064x}"


@pytest.fixture
def matcher():
    m = Matcher()
    m.apply([row(1, "add", 1, "pdq", PDQ), row(2, "add", 2, "md5", MD5),
             row(3, "add", 3, "url", "https://example.com/a"),
             row(4, "add", 4, "md5", MD5, bank_id=2, bank="Under review", confirmed=False)])
    return m


def test_exact_and_near_matches_with_bank_entry_and_distance(matcher):
    results = matcher.match([Query("md5", MD5.upper()), Query("pdq", flip(PDQ, 31), 90), Query("pdq", flip(PDQ, 32)),
                             Query("url", "EXAMPLE.com/a?utm_source=x#top"), Query("sha256", "0" * 64)])
    assert [r.status for r in results] == ["match", "match", "no_match", "match", "no_match"]
    assert [(h.entry_id, h.bank, h.confirmed, h.distance) for h in results[0].matches] == [
        (2, "National", True, 0), (4, "Under review", False, 0)]
    assert [(h.entry_id, h.distance) for h in results[1].matches] == [(1, 31)]
    assert results[3].value == "https://example.com/a"


def test_pdq_below_quality_50_is_ignored_but_50_is_matched(matcher):
    low, floor, unknown = matcher.match([Query("pdq", PDQ, 49), Query("pdq", PDQ, 50), Query("pdq", PDQ)])
    assert (low.status, low.matches) == ("ignored", [])
    assert floor.status == unknown.status == "match"


def test_the_distance_is_configurable():
    m = Matcher(max_distance=10)
    m.apply([row(1, "add", 1, "pdq", PDQ)])
    near, far = m.match([Query("pdq", flip(PDQ, 10)), Query("pdq", flip(PDQ, 11))])
    assert (near.status, far.status) == ("match", "no_match")


@pytest.mark.parametrize("query, code", [
    (Query("md5", "xyz" + "0" * 29), "bad_hex"),
    (Query("md5", "0" * 31), "wrong_length"),
    (Query("pdq", "0" * 63), "wrong_length"),
    (Query("tlsh", "0" * 70), "unknown_type"),
    (Query(None, MD5), "unknown_type"),
    (Query("md5", 12), "empty"),
    (Query("url", "ftp://example.com/x"), "unsupported_scheme"),
    (Query("pdq", PDQ, 101), "bad_quality"),
    (Query("pdq", PDQ, "high"), "bad_quality"),
])
def test_bad_items_get_their_own_error_and_never_fail_the_batch(matcher, query, code):
    bad, good = matcher.match([query, Query("md5", MD5)])
    assert (bad.status, bad.error_code, bad.matches) == ("error", code, [])
    assert good.status == "match"


def test_http_and_https_links_match_each_other(matcher):
    assert matcher.match([Query("url", "http://example.com/a")])[0].status == "match"


def test_removal_and_replayed_changes(matcher):
    matcher.apply([row(5, "remove", 1, "pdq", PDQ), row(6, "remove", 2, "md5", MD5)])
    pdq, md5 = matcher.match([Query("pdq", PDQ), Query("md5", MD5)])
    assert pdq.status == "no_match"
    assert [h.entry_id for h in md5.matches] == [4]  # the other bank's entry still matches
    # at-least-once: replaying an add, or an add then a remove of the same entry in one batch, is harmless
    matcher.apply([row(7, "add", 1, "pdq", PDQ), row(7, "add", 1, "pdq", PDQ)])
    matcher.apply([row(8, "add", 9, "sha1", "a" * 40), row(9, "remove", 9, "sha1", "a" * 40)])
    pdq, sha1 = matcher.match([Query("pdq", PDQ), Query("sha1", "a" * 40)])
    assert [h.entry_id for h in pdq.matches] == [1] and sha1.status == "no_match"
    assert len(matcher) == 3


def test_pdq_results_equal_the_brute_force_reference():
    rng = random.Random(7)
    stored = [f"{rng.getrandbits(256):064x}" for _ in range(300)]
    stored += [flip(h, rng.randint(0, 31)) for h in stored[:100]]
    m, brute = Matcher(), BruteForcePdqIndex(max_distance=31)
    m.apply([row(i + 1, "add", i + 1, "pdq", h) for i, h in enumerate(stored)])
    brute.add(list(range(1, len(stored) + 1)), stored)
    queries = [flip(h, rng.randint(0, 40)) for h in rng.sample(stored, 100)]
    queries += [f"{rng.getrandbits(256):064x}" for _ in range(50)]
    ours = m.match([Query("pdq", q) for q in queries])
    truth = brute.search(queries, max_distance=31)
    assert [[(h.entry_id, h.distance) for h in r.matches] for r in ours] == truth


def test_signals_in_accounts_finds_links_and_hashes():
    accounts = ["@budi_123", "tiktok.com/@budi_123/video/9?is_from_webapp=1", "+62 812 3456 7890",
                f"md5 {MD5}", "tiktok.com/@budi_123/video/9"]
    assert signals_in_accounts(accounts) == [("url", "https://tiktok.com/@budi_123/video/9"), ("md5", MD5)]
    assert should_match(channel="web", accounts=accounts)
    assert not should_match(channel="web", accounts=["@budi_123", "+62 812 3456 7890"])
    assert should_match(channel="platform", accounts=[])


def test_the_follower_keeps_polling_after_a_failed_refresh_and_stops_on_its_event():
    from safe4c.hashlist.matcher import MatcherFollower

    follower = MatcherFollower(Matcher(), uow_factory=None, poll_seconds=0)
    polls: list[str] = []

    def poll_once():
        polls.append("poll")
        if len(polls) == 1:
            raise ConnectionError("database away")  # logged; the loop goes on
        if len(polls) == 3:
            follower._stop.set()

    follower.poll_once = poll_once
    follower._run()  # in this thread: returns once the stop event is set
    assert polls == ["poll"] * 3


def test_exact_urls_are_keyed_by_their_match_key(matcher):
    matcher.apply([row(5, "add", 5, "url", "http://example.com/b")])
    assert [h.entry_id for h in matcher.match([Query("url", "https://example.com/b")])[0].matches] == [5]
    matcher.apply([row(6, "remove", 5, "url", "http://example.com/b")])
    assert matcher.match([Query("url", "http://example.com/b")])[0].status == "no_match"
