"""The hash list on SQLite and PostgreSQL: banks, entries, disabling, CSV import/export, sync pages, and a
second matcher (another serving process) following the change log."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from safe4c.db.hashlist import HashChange
from safe4c.db.tables import AuditEntry
from safe4c.errors import Conflict, Invalid
from safe4c.services import hashlist
from safe4c.services.matcher import Matcher, MatcherFollower, Query

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
        result = hashlist.import_csv(uow=uow, bank_id=b, lines=CSV.splitlines(True), classification="csam")
    assert result.added == 3 and result.already == 0
    assert [(e.line, e.code) for e in result.errors] == [
        (6, "bad_hex"), (7, "duplicate"), (8, "unknown_type"), (10, "columns"), (11, "bad_tags")]
    assert result.error_count == 5
    with uow_factory() as uow:  # importing again adds nothing
        again = hashlist.import_csv(uow=uow, bank_id=b, lines=CSV.splitlines(True))
    assert (again.added, again.already) == (0, 3)
    m = loaded(uow_factory)
    assert matches(m, "url", "https://example.com/a") and matches(m, "pdq", PDQ) and matches(m, "md5", MD5)


def test_export_round_trips_through_import(uow_factory):
    b = bank(uow_factory)
    with uow_factory() as uow:
        hashlist.import_csv(uow=uow, bank_id=b, lines=CSV.splitlines(True))
    disabled = add(uow_factory, b, "sha1", "b" * 40)
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=disabled, enabled=False, actor_id=None)
    with uow_factory() as uow:
        exported = "".join(hashlist.export_csv(uow=uow, bank_id=b))
    assert exported.splitlines()[0] == "signal_type,signal_value,tags"
    assert "b" * 40 not in exported  # disabled entries are not exported
    assert f"pdq,{PDQ},nasional verified:2026" in exported.splitlines()
    copy = bank(uow_factory, "Copy")
    with uow_factory() as uow:
        result = hashlist.import_csv(uow=uow, bank_id=copy, lines=exported.splitlines(True))
    assert (result.added, result.error_count) == (3, 0)
    with uow_factory() as uow:
        assert "".join(hashlist.export_csv(uow=uow, bank_id=copy)) == exported


def test_sync_pages_give_additions_then_removals_and_resume_from_the_cursor(uow_factory):
    b = bank(uow_factory)
    ids = [add(uow_factory, b, "md5", f"{i:032x}") for i in range(5)]
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=ids[1], enabled=False, actor_id=None)
    with uow_factory() as uow:
        p1 = hashlist.sync_page(uow=uow, cursor=0, limit=3)
        p2 = hashlist.sync_page(uow=uow, cursor=p1.next_cursor, limit=3)
    assert [s.id for s in p1.additions] == ids[:3] and p1.removals == [] and p1.has_more
    assert [s.id for s in p2.additions] == ids[3:] and [s.id for s in p2.removals] == [ids[1]]
    assert not p2.has_more
    assert p1.additions[0].value == f"{0:032x}" and p1.additions[0].bank == "National CSAM list"
    with uow_factory() as uow:  # resumable: nothing new after the last cursor, then only what changed
        assert hashlist.sync_page(uow=uow, cursor=p2.next_cursor).additions == []
        hashlist.set_entry_enabled(uow=uow, entry_id=ids[1], enabled=True, actor_id=None)
    with uow_factory() as uow:
        p3 = hashlist.sync_page(uow=uow, cursor=p2.next_cursor)
    assert [s.id for s in p3.additions] == [ids[1]] and p3.next_cursor > p2.next_cursor


def test_an_entry_added_and_removed_within_one_page_is_only_a_removal(uow_factory):
    b = bank(uow_factory)
    e = add(uow_factory, b, "md5", MD5)
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=e, enabled=False, actor_id=None)
    with uow_factory() as uow:
        page = hashlist.sync_page(uow=uow, cursor=0)
    assert page.additions == [] and [s.id for s in page.removals] == [e]


def test_a_confirmed_hash_matches_in_another_process_within_a_second(uow_factory):
    """Two matchers on one database stand for two serving processes; only the follower thread feeds the
    second one. The requirement is 1 s; the deadline is generous for a loaded machine."""
    b = bank(uow_factory)
    add(uow_factory, b, "md5", MD5)
    other = loaded(uow_factory)
    follower = MatcherFollower(other, uow_factory, poll_seconds=0.2).start()
    try:
        confirmed_at = time.monotonic()
        new = add(uow_factory, b, "pdq", PDQ)
        deadline = confirmed_at + 3.0
        while not matches(other, "pdq", PDQ) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert matches(other, "pdq", PDQ) == [new]
        print(f"matchable in the other process after {time.monotonic() - confirmed_at:.3f} s")
        with uow_factory() as uow:
            hashlist.set_entry_enabled(uow=uow, entry_id=new, enabled=False, actor_id=None)
        deadline = time.monotonic() + 3.0
        while matches(other, "pdq", PDQ) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert matches(other, "pdq", PDQ) == []
    finally:
        follower.stop()


def test_change_log_sequence_is_in_commit_order(uow_factory):
    b = bank(uow_factory)
    for i in range(3):
        add(uow_factory, b, "md5", f"{i:032x}")
    with uow_factory() as uow:
        seqs = list(uow.session.scalars(select(HashChange.seq).order_by(HashChange.seq)))
        assert seqs == sorted(seqs) and len(seqs) == 3
        assert hashlist.current_cursor(uow=uow) == seqs[-1]
