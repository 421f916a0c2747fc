"""The hash list on SQLite and PostgreSQL: banks, entries, disabling, CSV import/export, sync pages, and a
second matcher (another serving process) following the change log."""

from __future__ import annotations

import io

import threading

import pytest
from sqlalchemy import select

from safe4c.db.tables import AuditEntry
from safe4c.kernel.errors import Conflict, Invalid, NotFound
from safe4c.hashlist import banks as hashlist, csv_io, sync
from safe4c.hashlist.matcher import Matcher, MatcherFollower, Query

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def bank(uow_factory, name="National CSAM list", **kw) -> int:
    with uow_factory() as uow:
        return hashlist.create_bank(uow=uow, name=name, **kw)


def add(uow_factory, bank_id, signal_type, value, **kw) -> int:
    with uow_factory() as uow:
        return hashlist.add_entry(uow=uow, bank_id=bank_id, signal_type=signal_type, value=value, **kw).entry_id


def matches(matcher, signal_type, value) -> list[int]:
    return [h.entry_id for h in matcher.match([Query(signal_type, value)])[0].matches]


def loaded(uow_factory) -> Matcher:
    m = Matcher()
    with uow_factory() as uow:
        m.load(uow)
    return m


def test_entries_are_normalised_and_adding_twice_returns_the_first(uow_factory):
    b = bank(uow_factory)
    first = add(uow_factory, b, "md5", MD5.upper())
    assert add(uow_factory, b, "md5", f"  {MD5} ") == first
    with uow_factory() as uow:
        page = hashlist.list_entries(uow=uow, bank_id=b)
        assert [(e.signal_type, e.value, e.source, e.enabled) for e in page.items] == [("md5", MD5, "analyst", True)]
    with uow_factory() as uow, pytest.raises(Invalid) as err:
        hashlist.add_entry(uow=uow, bank_id=b, signal_type="md5", value="nothex", classification="??")
    assert {f.field for f in err.value.fields} == {"value", "classification"}


def test_bank_names_are_unique(uow_factory):
    bank(uow_factory)
    with uow_factory() as uow, pytest.raises(Invalid):
        hashlist.create_bank(uow=uow, name="National CSAM list")


def test_disabling_an_entry_or_a_bank_silences_matches_and_keeps_history(uow_factory):
    b, other = bank(uow_factory), bank(uow_factory, "Partner list")
    e1, e2 = add(uow_factory, b, "md5", MD5), add(uow_factory, b, "pdq", PDQ)
    e3 = add(uow_factory, other, "md5", MD5)
    m = loaded(uow_factory)
    assert matches(m, "md5", MD5) == [e1, e3] and matches(m, "pdq", PDQ) == [e2]

    with uow_factory() as uow:
        assert hashlist.set_entry_enabled(uow=uow, entry_id=e1, enabled=False, actor_id=None)
    with uow_factory() as uow:
        assert hashlist.set_bank_enabled(uow=uow, bank_id=b, enabled=False, actor_id=None) == 1  # e2 only
    with uow_factory() as uow:
        m.refresh(uow)
    assert matches(m, "md5", MD5) == [e3] and matches(m, "pdq", PDQ) == []
    assert matches(loaded(uow_factory), "md5", MD5) == [e3]  # a fresh load agrees with the followed state

    with uow_factory() as uow:  # a disabled value is not silently re-enabled by adding it again
        with pytest.raises(Conflict):
            hashlist.add_entry(uow=uow, bank_id=b, signal_type="md5", value=MD5)
    with uow_factory() as uow:
        hashlist.set_bank_enabled(uow=uow, bank_id=b, enabled=True, actor_id=None)
    with uow_factory() as uow:
        m.refresh(uow)
    assert matches(m, "pdq", PDQ) == [e2] and matches(m, "md5", MD5) == [e3]  # e1 is still disabled itself

    with uow_factory() as uow:
        banks = {v.name: v for v in hashlist.list_banks(uow=uow)}
        assert (banks["National CSAM list"].entries, banks["National CSAM list"].active) == (2, 1)
        audit_actions = list(uow.session.scalars(select(AuditEntry.action)))
    assert {"hashlist.add", "hashlist.disable", "hashlist.bank_disable", "hashlist.bank_enable"} <= set(audit_actions)


CSV = """signal_type,signal_value,tags
md5,{md5}
# a comment line

pdq,{pdq},nasional verified:2026
sha256,not-a-hash
md5,{md5_upper}
tlsh,T1A2B3
url,example.com/a?utm_source=x
md5,{md5},a,b
sha1,{sha1},Bad!Tag
""".format(md5=MD5, md5_upper=MD5.upper(), pdq=PDQ, sha1="a" * 40)


def test_csv_import_keeps_good_lines_and_reports_bad_ones_by_line(uow_factory):
    b = bank(uow_factory)
    with uow_factory() as uow:
        result = csv_io.import_csv(uow=uow, bank_id=b, lines=CSV.splitlines(True), classification="csam")
    assert result.added == 3 and result.already == 0
    assert [(e.line, e.code) for e in result.errors] == [
        (6, "bad_hex"), (7, "duplicate"), (8, "unknown_type"), (10, "columns"), (11, "bad_tags")]
    assert result.error_count == 5
    with uow_factory() as uow:  # importing again adds nothing
        again = csv_io.import_csv(uow=uow, bank_id=b, lines=CSV.splitlines(True))
    assert (again.added, again.already) == (0, 3)
    m = loaded(uow_factory)
    assert matches(m, "url", "https://example.com/a") and matches(m, "pdq", PDQ) and matches(m, "md5", MD5)


def test_a_value_split_over_two_lines_in_quotes_is_a_bad_line_not_joined(uow_factory):
    """parse_csv keeps a line end inside a quoted cell (lines as a file opened with newline="" gives them, as the
    staff page's io.StringIO does too), so a hash split over two lines is refused, not glued back together."""
    b = bank(uow_factory)
    text = f'md5,"{MD5[:16]}\r\n{MD5[16:]}"\r\nsha1,{"c" * 40}\r\n'
    with uow_factory() as uow:
        result = csv_io.import_csv(uow=uow, bank_id=b, lines=io.StringIO(text, newline=""))
    assert (result.added, [(e.line, e.code) for e in result.errors]) == (1, [(2, "bad_hex")])


@pytest.mark.parametrize("lookup_limit", [1, 100_000], ids=["bank-read-whole", "key-by-key"])
def test_an_import_into_a_filled_bank_adds_only_what_is_new_either_way_it_looks(uow_factory, monkeypatch,
                                                                                 lookup_limit):
    b = bank(uow_factory)
    with uow_factory() as uow:
        csv_io.import_csv(uow=uow, bank_id=b, lines=[f"md5,{MD5}", f"pdq,{PDQ}"])
    other = bank(uow_factory, "Other")
    with uow_factory() as uow:  # the same value in another bank does not count as already there
        csv_io.import_csv(uow=uow, bank_id=other, lines=["sha1," + "c" * 40])
    monkeypatch.setattr(csv_io, "LOOKUP_LIMIT", lookup_limit)
    with uow_factory() as uow:
        result = csv_io.import_csv(uow=uow, bank_id=b, lines=[f"md5,{MD5.upper()}", "sha1," + "c" * 40,
                                                             "sha1," + "d" * 40])
    assert (result.added, result.already) == (2, 1)
    with uow_factory() as uow:
        exported = "".join(csv_io.export_csv(uow=uow, bank_id=b)).splitlines()
    assert sorted(exported[1:]) == sorted([f"md5,{MD5},", f"pdq,{PDQ},", "sha1," + "c" * 40 + ",",
                                           "sha1," + "d" * 40 + ","])


def test_export_round_trips_through_import(uow_factory):
    b = bank(uow_factory)
    with uow_factory() as uow:
        csv_io.import_csv(uow=uow, bank_id=b, lines=CSV.splitlines(True))
    disabled = add(uow_factory, b, "sha1", "b" * 40)
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=disabled, enabled=False, actor_id=None)
    with uow_factory() as uow:
        exported = "".join(csv_io.export_csv(uow=uow, bank_id=b))
    assert exported.splitlines()[0] == "signal_type,signal_value,tags"
    assert "b" * 40 not in exported  # disabled entries are not exported
    assert f"pdq,{PDQ},nasional verified:2026" in exported.splitlines()
    copy = bank(uow_factory, "Copy")
    with uow_factory() as uow:
        result = csv_io.import_csv(uow=uow, bank_id=copy, lines=exported.splitlines(True))
    assert (result.added, result.error_count) == (3, 0)
    with uow_factory() as uow:
        assert "".join(csv_io.export_csv(uow=uow, bank_id=copy)) == exported


def test_sync_pages_give_additions_then_removals_and_resume_from_the_cursor(uow_factory):
    b = bank(uow_factory)
    ids = [add(uow_factory, b, "md5", f"{i:032x}") for i in range(5)]
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=ids[1], enabled=False, actor_id=None)
    with uow_factory() as uow:
        p1 = sync.sync_page(uow=uow, cursor=0, limit=3)
        p2 = sync.sync_page(uow=uow, cursor=p1.next_cursor, limit=3)
    assert [s.id for s in p1.additions] == ids[:3] and p1.removals == [] and p1.has_more
    assert [s.id for s in p2.additions] == ids[3:] and [s.id for s in p2.removals] == [ids[1]]
    assert not p2.has_more
    assert p1.additions[0].value == f"{0:032x}" and p1.additions[0].bank == "National CSAM list"
    with uow_factory() as uow:  # resumable: nothing new after the last cursor, then only what changed
        assert sync.sync_page(uow=uow, cursor=p2.next_cursor).additions == []
        hashlist.set_entry_enabled(uow=uow, entry_id=ids[1], enabled=True, actor_id=None)
    with uow_factory() as uow:
        p3 = sync.sync_page(uow=uow, cursor=p2.next_cursor)
    assert [s.id for s in p3.additions] == [ids[1]] and p3.next_cursor > p2.next_cursor


def test_an_entry_added_and_removed_within_one_page_is_only_a_removal(uow_factory):
    b = bank(uow_factory)
    e = add(uow_factory, b, "md5", MD5)
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=e, enabled=False, actor_id=None)
    with uow_factory() as uow:
        page = sync.sync_page(uow=uow, cursor=0)
    assert page.additions == [] and [s.id for s in page.removals] == [e]


def test_a_confirmed_hash_matches_in_another_process_after_one_poll(uow_factory):
    """Two matchers on one database stand for two serving processes; only its follower feeds the second one
    (polled here directly: the thread just calls ``poll_once`` every SAFE4C_MATCHER_POLL_SECONDS)."""
    b = bank(uow_factory)
    add(uow_factory, b, "md5", MD5)
    other = loaded(uow_factory)
    follower = MatcherFollower(other, uow_factory)
    new = add(uow_factory, b, "pdq", PDQ)
    assert matches(other, "pdq", PDQ) == []  # nothing reaches it but the follower
    follower.poll_once()
    assert matches(other, "pdq", PDQ) == [new]
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=new, enabled=False, actor_id=None)
    follower.poll_once()
    assert matches(other, "pdq", PDQ) == [] and matches(other, "md5", MD5) != []


def test_sync_never_passes_a_change_that_is_not_committed_yet(engine, uow_factory):
    """Writer A holds the hash-list lock with its change inserted but not committed; writer B, started after,
    waits for the lock. A reader meanwhile must not get a cursor past A's change, or it would skip it."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers itself (BEGIN IMMEDIATE): a second writer cannot even start")
    b = bank(uow_factory)
    first = add(uow_factory, b, "md5", f"{1:032x}")
    with uow_factory() as uow:
        cursor = sync.sync_page(uow=uow).next_cursor
    a = uow_factory().__enter__()
    try:
        a.commit = a.session.flush  # A's transaction stays open after add_entry, holding the lock
        hashlist.add_entry(uow=a, bank_id=b, signal_type="md5", value=f"{2:032x}")
        b_done = threading.Event()

        def writer_b():
            with uow_factory() as uow:
                hashlist.add_entry(uow=uow, bank_id=b, signal_type="md5", value=f"{3:032x}")
            b_done.set()

        thread = threading.Thread(target=writer_b)
        thread.start()
        assert not b_done.wait(timeout=0.5)  # B waits for A's lock (were it not, B would commit seq 3 first)
        with uow_factory() as uow:
            page = sync.sync_page(uow=uow, cursor=cursor)
        assert page.additions == [] and page.next_cursor == cursor
        a.session.commit()
    finally:
        a.__exit__(None, None, None)
    thread.join(timeout=30)
    assert b_done.is_set()
    with uow_factory() as uow:
        page = sync.sync_page(uow=uow, cursor=cursor)
    assert [s.value for s in page.additions] == [f"{2:032x}", f"{3:032x}"]
    assert first not in [s.id for s in page.additions]


def test_a_writer_reads_the_bank_as_committed_not_as_its_session_loaded_it(engine, uow_factory):
    """The import page showed the bank (loading it into the session) before importing: the import must see
    a bank disabled meanwhile, and write no change rows for it."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's write transaction started with the first read: no other writer can get in")
    b = bank(uow_factory)
    with uow_factory() as page_uow:
        assert hashlist.get_bank(uow=page_uow, bank_id=b).enabled
        page_uow.session.get(hashlist.HashBank, b)  # what the session holds from the page
        with uow_factory() as admin:
            hashlist.set_bank_enabled(uow=admin, bank_id=b, enabled=False, actor_id=None)
        result = csv_io.import_csv(uow=page_uow, bank_id=b, lines=[f"md5,{MD5}"])
    assert result.added == 1
    with uow_factory() as uow:
        assert sync.current_cursor(uow=uow) == 0  # the entry is in a disabled bank: nothing to match


def test_http_and_https_links_are_one_entry_in_a_bank(uow_factory):
    b = bank(uow_factory)
    first = add(uow_factory, b, "url", "http://example.com/a")
    assert add(uow_factory, b, "url", "https://example.com/a") == first
    assert hashlist.value_key("url", "http://example.com/a") == hashlist.value_key("url", "https://example.com/a")
    assert hashlist.value_key("md5", MD5) != hashlist.value_key("sha1", MD5)


def test_get_bank_counts_only_its_own_entries(uow_factory):
    b1, b2 = bank(uow_factory), bank(uow_factory, name="Under review")
    add(uow_factory, b1, "md5", MD5)
    add(uow_factory, b2, "md5", MD5)
    add(uow_factory, b2, "pdq", PDQ)
    with uow_factory() as uow:
        one, two = hashlist.get_bank(uow=uow, bank_id=b1), hashlist.get_bank(uow=uow, bank_id=b2)
        assert (one.name, one.entries, two.name, two.entries) == ("National CSAM list", 1, "Under review", 2)
        assert [(r.id, r.name) for r in hashlist.enabled_bank_choices(uow=uow)] == [(b1, "National CSAM list"),
                                                                                    (b2, "Under review")]
        with pytest.raises(NotFound):
            hashlist.get_bank(uow=uow, bank_id=b2 + 100)


def test_a_new_bank_and_its_first_entry_take_the_locks_in_their_order(uow_factory, monkeypatch):
    """db/locks.py: the hash list's lock before the audit's, else a transaction that creates a bank and then
    adds to it (an analyst's first confirmed material) deadlocks with an import taking them the other way."""
    from safe4c.db import locks
    from safe4c.kernel import audit

    taken = []
    monkeypatch.setattr(locks, "advisory_xact_lock", lambda session, key: taken.append(key))
    monkeypatch.setattr(audit, "advisory_xact_lock", lambda session, key: taken.append(key))
    with uow_factory() as uow:
        bank_id = hashlist.place_bank(uow=uow, name="Confirmed", confirmed=True, actor_id=None)
        hashlist.put_entry(uow=uow, bank_id=bank_id, signal_type="md5", value="9e107d9d372bb6826bd81d3542a419d6",
                           classification="csam", source="analyst", actor_id=None)
        uow.commit()
    first = list(dict.fromkeys(taken))  # each lock in the order it was first taken
    assert first == [k for k in locks.ORDER if k in first] and first[:2] == [locks.HASHLIST, locks.AUDIT]


def test_an_import_logs_one_add_per_new_entry_in_their_order_for_followers(uow_factory, clock):
    """The import's change log is written by the database from the entries just written (csv_io.import_csv):
    one "add" per new entry, none for a line already there, in the entries' order, at the import's time; a
    follower that was current before the import matches the new entries from the log alone."""
    from safe4c.db.hashlist import HashChange, HashEntry

    b = bank(uow_factory)
    with uow_factory() as uow:
        csv_io.import_csv(uow=uow, bank_id=b, lines=[f"md5,{MD5}"])
    follower = MatcherFollower(loaded(uow_factory), uow_factory)
    with uow_factory() as uow:
        cursor = uow.session.scalar(select(HashChange.seq).order_by(HashChange.seq.desc()).limit(1))
    lines = [f"md5,{MD5}", f"pdq,{PDQ}", "sha1," + "c" * 40, "sha1," + "d" * 40]
    with uow_factory() as uow:
        result = csv_io.import_csv(uow=uow, bank_id=b, lines=lines)
    assert (result.added, result.already) == (3, 1)
    with uow_factory() as uow:
        new_ids = list(uow.session.scalars(select(HashEntry.id).where(HashEntry.bank_id == b)
                                           .order_by(HashEntry.id)))[1:]
        changes = uow.session.execute(select(HashChange.entry_id, HashChange.op, HashChange.at)
                                      .where(HashChange.seq > cursor).order_by(HashChange.seq)).all()
    assert [(entry, op) for entry, op, _ in changes] == [(entry, "add") for entry in new_ids]
    assert {at for _, _, at in changes} == {clock.now()}
    follower.poll_once()
    assert matches(follower.matcher, "pdq", PDQ) and matches(follower.matcher, "sha1", "d" * 40)
