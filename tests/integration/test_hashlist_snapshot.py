"""The machine's hash-list snapshot (hashlist/snapshot.py) on SQLite and PostgreSQL: the first load writes it,
the next maps it, changes after it come from the change log, the worker rewrites it and matchers move to the
new file; a snapshot of another database, or ahead of it, is never used."""

from __future__ import annotations

import json

from safe4c.hashlist import banks as hashlist, csv_io, snapshot, sync
from safe4c.hashlist.matcher import Matcher, Query
from safe4c.worker import Worker

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_NEAR = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2d"  # 4 bits away
URL = "https://example.com/album/7"


def setup_list(uow_factory) -> dict[str, int]:
    with uow_factory() as uow:
        b = hashlist.create_bank(uow=uow, name="National CSAM list")
    ids = {}
    for kind, value in (("pdq", PDQ), ("md5", MD5), ("url", URL)):
        with uow_factory() as uow:
            ids[kind] = hashlist.add_entry(uow=uow, bank_id=b, signal_type=kind, value=value).entry_id
    ids["bank"] = b
    return ids


def load(uow_factory, settings) -> Matcher:
    m = Matcher.from_settings(settings)
    with uow_factory() as uow:
        m.load(uow)
    return m


def found(m: Matcher) -> list[list[tuple[int, int, str]]]:
    results = m.match([Query("pdq", PDQ_NEAR), Query("md5", MD5), Query("url", "http://example.com/album/7")])
    return [[(h.entry_id, h.distance, h.bank) for h in r.matches] for r in results]


def test_the_first_load_writes_the_snapshot_and_the_next_process_maps_it(uow_factory, settings):
    ids = setup_list(uow_factory)
    path = settings.resolved_hashlist_snapshot_path
    first = load(uow_factory, settings)
    assert path.exists()
    written = snapshot.file_id(path)
    second = load(uow_factory, settings)  # another serving process on the machine
    assert snapshot.file_id(path) == written and second._state.base.file_id == written  # mapped, not rebuilt
    expected = [[(ids["pdq"], 4, "National CSAM list")], [(ids["md5"], 0, "National CSAM list")],
                [(ids["url"], 0, "National CSAM list")]]
    assert found(first) == found(second) == expected
    assert len(second) == 3 and second.snapshot_cursor == second.cursor


def test_changes_after_the_snapshot_apply_and_matchers_move_to_the_rewritten_file(uow_factory, settings):
    ids = setup_list(uow_factory)
    m = load(uow_factory, settings)
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=ids["md5"], enabled=False, actor_id=None)
    with uow_factory() as uow:
        sha = hashlist.add_entry(uow=uow, bank_id=ids["bank"], signal_type="sha256", value="ab" * 32).entry_id
    with uow_factory() as uow:
        m.refresh(uow)
    assert found(m)[1] == [] and m.snapshot_cursor < m.cursor
    assert [h.entry_id for h in m.match([Query("sha256", "AB" * 32)])[0].matches] == [sha]
    Worker(uow_factory).refresh_hashlist_snapshot()  # the worker's tick rewrites the file
    with uow_factory() as uow:
        m.refresh(uow)  # ... and the matcher takes it
    assert m.snapshot_cursor == m.cursor and m._state.base.file_id == snapshot.file_id(m.snapshots.path)
    assert not m._state.removed and not m._state.meta
    assert found(m)[1] == [] and [h.entry_id for h in m.match([Query("sha256", "ab" * 32)])[0].matches] == [sha]
    with uow_factory() as uow:  # an entry of the snapshot enabled again matches again
        hashlist.set_entry_enabled(uow=uow, entry_id=ids["pdq"], enabled=False, actor_id=None)
    with uow_factory() as uow:
        hashlist.set_entry_enabled(uow=uow, entry_id=ids["pdq"], enabled=True, actor_id=None)
    with uow_factory() as uow:
        m.refresh(uow)
    assert found(m)[0] == [(ids["pdq"], 4, "National CSAM list")]
    worker = Worker(uow_factory)
    assert worker.refresh_hashlist_snapshot() is True  # the two changes since: written
    assert snapshot.open_file(m.snapshots.path).cursor == m.cursor
    assert worker.refresh_hashlist_snapshot() is False  # nothing changed since: left alone
    with uow_factory() as uow:
        assert not snapshot.SnapshotFile(m.snapshots.path).refresh_if_changed(uow)  # already current


def test_the_workers_snapshot_tick_never_waits_for_the_lock_it_skips_the_round(uow_factory, settings):
    setup_list(uow_factory)
    path = settings.resolved_hashlist_snapshot_path
    assert not path.exists()
    with snapshot.SnapshotFile(path).locked() as held:  # another process is writing the snapshot
        assert held is True
        assert Worker(uow_factory).refresh_hashlist_snapshot() is False  # returned at once, not written
        assert not path.exists()
    assert Worker(uow_factory).refresh_hashlist_snapshot() is True  # the next round writes it
    with uow_factory() as uow:
        assert snapshot.open_file(path).cursor == sync.current_cursor(uow=uow) > 0


def test_a_snapshot_of_another_database_or_ahead_of_its_change_log_is_not_used(uow_factory, settings):
    ids = setup_list(uow_factory)
    path = settings.resolved_hashlist_snapshot_path
    load(uow_factory, settings)
    for change in ({"database": "0" * 32}, {"cursor": 10**9}):
        with uow_factory() as uow:
            snap = snapshot.build(uow)
        snap.header.update(change)
        snapshot.write(snap, path)
        with uow_factory() as uow:
            assert snapshot.SnapshotFile(path).usable(uow) is None
        m = load(uow_factory, settings)  # rebuilt from the database
        with uow_factory() as uow:
            fingerprint, cursor = snapshot.database_fingerprint(uow), sync.current_cursor(uow=uow)
        assert json.loads(json.dumps(m._state.base.header))["database"] != "0" * 32
        assert m._state.base.header["database"] == fingerprint and snapshot.open_file(path).header["database"] \
            == fingerprint  # the file was rewritten, not just ignored
        assert m.snapshot_cursor == m.cursor == cursor == snapshot.open_file(path).cursor  # not 10**9
        assert m.snapshot_cursor <= m.cursor and found(m)[0] == [(ids["pdq"], 4, "National CSAM list")]
        assert found(m) == [[(ids["pdq"], 4, "National CSAM list")], [(ids["md5"], 0, "National CSAM list")],
                            [(ids["url"], 0, "National CSAM list")]]


def test_healthz_says_when_the_hash_list_is_ready(client):
    client.app.state.shared_matcher.matcher  # waits for the start-up load
    assert client.get("/healthz").json()["hash_list"] == "ready"


def test_a_matcher_far_behind_takes_a_fresh_snapshot_instead_of_applying_every_change(uow_factory, settings,
                                                                                      monkeypatch):
    from safe4c.hashlist import matcher as matcher_module

    ids = setup_list(uow_factory)
    m = load(uow_factory, settings)
    monkeypatch.setattr(matcher_module, "MAX_BEHIND", 2)  # a big import, in miniature
    with uow_factory() as uow:
        result = csv_io.import_csv(
            uow=uow, bank_id=ids["bank"], lines=["sha1," + "1" * 40, "sha1," + "2" * 40, "sha1," + "3" * 40])
    assert result.added == 3
    with uow_factory() as uow:
        m.refresh(uow)
    assert m.snapshot_cursor == m.cursor and not m._state.meta  # all three came in the new snapshot
    assert [len(r.matches) for r in m.match([Query("sha1", c * 40) for c in "1234"])] == [1, 1, 1, 0]


def test_without_a_writable_snapshot_folder_the_process_loads_the_list_itself(uow_factory, settings, tmp_path):
    ids = setup_list(uow_factory)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the snapshot's folder should be")
    m = Matcher.from_settings(settings.model_copy(update={"hashlist_snapshot_path": blocker / "hashlist.snap"}))
    with uow_factory() as uow:
        m.load(uow)
    assert m._state.base.path is None and found(m)[1] == [(ids["md5"], 0, "National CSAM list")]


def test_starting_one_matcher_several_times_at_once_loads_once_and_stops(uow_factory):
    """An app whose lifespan runs several times at once (TestClients in threads) starts one loader; a match request
    made meanwhile and the stops all return (they once waited on each other for ever)."""
    import threading

    from safe4c.hashlist.matcher import SharedMatcher

    setup_list(uow_factory)
    shared = SharedMatcher()
    starters = [threading.Thread(target=shared.start, args=(uow_factory,), kwargs={"poll_seconds": 0.05})
                for _ in range(6)]
    for t in starters:
        t.start()
    for t in starters:
        t.join(timeout=10)
    served = threading.Thread(target=shared.serving, args=(uow_factory,), kwargs={"poll_seconds": 0.05})
    stoppers = [threading.Thread(target=shared.stop) for _ in range(3)]
    served.start()
    for t in stoppers:
        t.start()
    for t in [served, *stoppers]:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in [*starters, served, *stoppers])
    assert shared.status == "ready"
    shared.stop()


def test_a_poll_reads_the_change_log_and_looks_at_the_file_only_when_it_could_be_newer(uow_factory, settings,
                                                                                      monkeypatch):
    """Five times a second in every serving process: with nothing new, one range read of the change log (no
    max(seq), no stat of the snapshot file)."""
    ids = setup_list(uow_factory)
    m = load(uow_factory, settings)
    calls = []
    cursor_of, file_id = sync.current_cursor, snapshot.file_id
    monkeypatch.setattr(sync, "current_cursor", lambda **kw: calls.append("max(seq)") or cursor_of(**kw))
    monkeypatch.setattr(snapshot, "file_id", lambda path: calls.append("stat") or file_id(path))

    def poll() -> list[str]:
        calls.clear()
        with uow_factory().reading() as uow:
            m.refresh(uow)
        return list(calls)

    assert poll() == []  # nothing new, and the snapshot holds everything this matcher has
    with uow_factory() as uow:
        sha = hashlist.add_entry(uow=uow, bank_id=ids["bank"], signal_type="sha256", value="cd" * 32).entry_id
    assert poll() == ["stat"] and m.cursor > m.snapshot_cursor  # applied from the log; has the worker written?
    assert [h.entry_id for h in m.match([Query("sha256", "cd" * 32)])[0].matches] == [sha]
    assert poll() == ["stat"]  # not yet: a stat while this matcher holds changes its snapshot lacks
    calls.clear()
    assert Worker(uow_factory).refresh_hashlist_snapshot() is True
    assert "max(seq)" in poll() and m.snapshot_cursor == m.cursor  # moved to the new file (checked once)
    assert poll() == []
    assert [h.entry_id for h in m.match([Query("sha256", "cd" * 32)])[0].matches] == [sha]


def same_snapshot(a: snapshot.Snapshot, b: snapshot.Snapshot) -> bool:
    import numpy as np

    return a.header == b.header and a.arrays.keys() == b.arrays.keys() and all(
        a.arrays[k].dtype == b.arrays[k].dtype and np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays)


def test_an_import_builds_the_list_as_of_its_commit_beside_it_as_reading_it_back_would(uow_factory, settings):
    """csv_io.import_csv with the machine's snapshot file current: the list as of the import's commit comes from
    that snapshot and the new entries (hashlist/snapshot.py extended), the same in every array and in its header
    as ``build`` reading the list back afterwards; written, a new process maps it and matches the new entries."""
    ids = setup_list(uow_factory)
    snapshots = snapshot.SnapshotFile(settings.resolved_hashlist_snapshot_path)
    with uow_factory() as uow:  # the list before: a disabled entry, a disabled bank, three banks in all
        hashlist.set_entry_enabled(uow=uow, entry_id=ids["md5"], enabled=False, actor_id=None)
        off = hashlist.create_bank(uow=uow, name="Old list")
    with uow_factory() as uow:
        hashlist.add_entry(uow=uow, bank_id=off, signal_type="sha1", value="a" * 40)
    with uow_factory() as uow:
        hashlist.set_bank_enabled(uow=uow, bank_id=off, enabled=False, actor_id=None)
        other = hashlist.create_bank(uow=uow, name="Partner list", confirmed=False)
        assert snapshots.refresh_if_changed(uow)  # current before the import
    new_pdq = f"{int(PDQ, 16) ^ ((1 << 256) - 1):064x}"  # every bit flipped: near nothing listed
    lines = [f"pdq,{new_pdq},partner", f"md5,{MD5}", "sha256," + "e" * 64, "url,http://example.org/a\\b",
             f"pdq,{PDQ}"]  # md5 and the first pdq: new in this bank though the other bank lists them
    with uow_factory() as uow:
        result = csv_io.import_csv(uow=uow, bank_id=other, lines=lines, classification="exploitation",
                                   snapshots=snapshots)
    assert result.added == 5 and result.snapshot is not None
    with uow_factory().reading() as uow:
        read_back = snapshot.build(uow)
    assert result.snapshot.cursor == read_back.cursor and same_snapshot(result.snapshot, read_back)
    assert result.snapshot.classifications == ["csam", "exploitation"] and len(result.snapshot) == 7
    assert snapshots.put(result.snapshot) and not snapshots.put(result.snapshot)  # once: the file is as new
    with uow_factory() as uow:  # the next import builds on the file the last one wrote
        again = csv_io.import_csv(uow=uow, bank_id=ids["bank"], lines=["sha1," + "b" * 40], classification="other",
                                  snapshots=snapshots)
    with uow_factory().reading() as uow:
        assert same_snapshot(again.snapshot, snapshot.build(uow))
    assert again.snapshot.classifications == ["csam", "exploitation", "other"] and snapshots.put(again.snapshot)
    m = load(uow_factory, settings)
    assert m._state.base.file_id == snapshot.file_id(snapshots.path)  # mapped, not rebuilt
    hits = m.match([Query("pdq", new_pdq), Query("url", "https://example.org/a\\b")])
    assert [h.bank for h in hits[0].matches] == ["Partner list"] and hits[1].matches


def test_an_import_builds_no_snapshot_beside_it_when_the_file_is_behind_or_the_bank_disabled(uow_factory,
                                                                                           settings, caplog):
    """Not built, rather than built and failed (nothing logged); a damaged file does not stop the import, and is
    written again."""
    ids = setup_list(uow_factory)
    snapshots = snapshot.SnapshotFile(settings.resolved_hashlist_snapshot_path)
    with uow_factory() as uow:
        snapshots.refresh_if_changed(uow)
        hashlist.set_entry_enabled(uow=uow, entry_id=ids["md5"], enabled=False, actor_id=None)  # now behind
    with uow_factory() as uow:
        behind = csv_io.import_csv(uow=uow, bank_id=ids["bank"], lines=["sha1," + "c" * 40], snapshots=snapshots)
    with uow_factory() as uow:
        snapshots.refresh_if_changed(uow)
        hashlist.set_bank_enabled(uow=uow, bank_id=ids["bank"], enabled=False, actor_id=None)
        snapshots.refresh_if_changed(uow)
    with uow_factory() as uow:
        disabled = csv_io.import_csv(uow=uow, bank_id=ids["bank"], lines=["sha1," + "d" * 40], snapshots=snapshots)
    assert (behind.added, disabled.added) == (1, 1) and behind.snapshot is None and disabled.snapshot is None
    assert not [r for r in caplog.records if r.name == "safe4c.hashlist.csv_io"]
    with uow_factory() as uow:
        hashlist.set_bank_enabled(uow=uow, bank_id=ids["bank"], enabled=True, actor_id=None)
        snapshots.refresh_if_changed(uow)
    with open(snapshots.path, "r+b") as f:  # damaged: a header that promises more than the file holds
        f.truncate(snapshots.path.stat().st_size // 2)
    with uow_factory() as uow:
        damaged = csv_io.import_csv(uow=uow, bank_id=ids["bank"], lines=["sha1," + "e" * 40], snapshots=snapshots)
    assert damaged.added == 1 and damaged.snapshot is None
    assert snapshot.open_file(snapshots.path) is None  # damaged: as if there were none, so it is written again
    other = snapshots.path.with_name("other.snap")  # a header that is not an object
    other.write_bytes(snapshot.MAGIC + (2).to_bytes(8, "little") + b"[]")
    assert snapshot.open_file(other) is None
    with uow_factory() as uow:
        assert snapshots.refresh_if_changed(uow) and snapshots.usable(uow) is not None
