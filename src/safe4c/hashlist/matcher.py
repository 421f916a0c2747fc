"""The per-process matcher: the hash list in memory, following the database's change log.

- PDQ in a ``MultiHashPdqIndex`` (FAISS multi-index hashing, exact up to distance 31); md5, sha1, sha256 and
  url in a dict from (type, match key) to entry ids. The match key (``snapshot.match_key``, the snapshot's too)
  is the canonical value, except that a URL is keyed by ``kernel.urls.url_match_key`` (http and https are the
  same link), as the hash list's value keys.
- ``load`` reads every matchable entry once; ``refresh`` applies ``hash_changes`` after its cursor (adds are
  upserts, removes are idempotent, so replaying a change is harmless). A ``MatcherFollower`` thread calls
  ``refresh`` every ``SAFE4C_MATCHER_POLL_SECONDS`` (200 ms), so a hash confirmed in one process matches in
  every serving process within about that time, with no rebuild.
- Searches and updates may run at the same time: the index has a readers-writer lock and the dicts hold
  immutable sets that are replaced, never changed in place.

Each serving process has one matcher per database, held by a ``SharedMatcher`` that its owner passes on: the web
app loads it at start-up and keeps it in ``app.state.shared_matcher``; the worker's ``report.match`` job gets
it from the worker (the app's, when the worker runs in the app's process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from safe4c.hashlist.matching import InvalidSignal, normalise_signal
from safe4c.hashlist.matching.pdq import PDQ_MATCH_DISTANCE, PDQ_MIN_QUALITY
from safe4c.hashlist import snapshot, sync
from safe4c.hashlist.matcher_state import EntryInfo, MatcherState  # noqa: F401 - EntryInfo is part of this API
from safe4c.kernel.uow import UnitOfWork

log = logging.getLogger(__name__)

REFRESH_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Hit:
    entry_id: int
    bank_id: int
    bank: str
    confirmed: bool
    classification: str
    distance: int


@dataclass(frozen=True)
class ItemResult:
    """One submitted item: ``status`` is match, no_match, ignored (PDQ quality too low) or error."""

    index: int
    signal_type: str | None
    value: str | None  # canonical form, None when the item was refused
    status: str
    matches: list[Hit] = field(default_factory=list)
    error_code: str | None = None


@dataclass(frozen=True)
class Query:
    signal_type: object
    value: object
    quality: object = None


# A matcher more than this many changes behind the database takes a fresh snapshot (built once per machine)
# instead of applying every change to its own delta (an import of a million hashes, say).
MAX_BEHIND = 50_000


class Matcher:
    def __init__(self, *, max_distance: int = PDQ_MATCH_DISTANCE, min_quality: int = PDQ_MIN_QUALITY,
                 snapshots: snapshot.SnapshotFile | None = None) -> None:
        self.max_distance = max_distance
        self.min_quality = min_quality
        self.snapshots = snapshots  # the machine's snapshot file; None: the list is read into this process
        self.cursor = 0
        self.loaded = False
        self.refreshed_at = 0.0  # time.monotonic() of the last successful refresh
        self._state = MatcherState(snapshot.empty(), max_distance)
        self._refresh_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "Matcher":
        return cls(max_distance=settings.match_pdq_max_distance, min_quality=settings.match_pdq_min_quality,
                   snapshots=snapshot.SnapshotFile(settings.resolved_hashlist_snapshot_path))

    @property
    def snapshot_cursor(self) -> int:
        return self._state.base.cursor

    # --- following the database -------------------------------------------------------------------------

    def load(self, uow: UnitOfWork, *, only: tuple[str, str] | None = None) -> int:
        """Take the machine's snapshot (mapped; built first if there is none for this database, or it is too
        far behind), or without a snapshot file read the list into memory; then apply the changes after its
        cursor. Returns how many entries are loaded.

        ``only=(type, canonical value)`` reads just the entries of that exact (non-PDQ) value, for a one-off
        lookup (``safe4c match``); such a matcher must not be kept and followed."""
        with self._refresh_lock:
            base = None
            if self.snapshots is not None and only is None:
                try:
                    base = self.snapshots.fresh(uow, max_behind=MAX_BEHIND)
                except OSError as exc:  # no writable snapshot folder: this process keeps its own copy
                    log.warning("hash-list snapshot unavailable (%s); loading the list into this process",
                                type(exc).__name__)
            if base is None:
                base = snapshot.build(uow, only=only)
            self._state = MatcherState(base, self.max_distance)
            self.cursor = base.cursor
            self.loaded = True
        self.refresh(uow)
        return len(self)

    def refresh(self, uow: UnitOfWork) -> int:
        """Apply the changes after the cursor; returns how many change rows were read. Moves to a newer
        snapshot when the worker has written one, or when the list is far ahead (see ``MAX_BEHIND``).

        A poll with nothing new is one indexed range read of the change log; the snapshot file is looked at
        only while this matcher holds changes its snapshot lacks (only then can a newer one exist)."""
        read = 0
        with self._refresh_lock:
            rows = sync.changes_after(uow, self.cursor, REFRESH_BATCH)
            if self.snapshots is not None and self.loaded and self._rebase_if_newer(uow, rows):
                rows = None  # the new state is caught up already
            if rows is not None:
                read = self._catch_up(self._state, uow, rows)
            pdq = self._state.pdq
            if pdq is not None and (pdq.inactive_rows > max(1000, len(pdq) // 5) or pdq.params_outgrown):
                # Removal is a mask: give the memory back now and then. Searches go on during the rebuild.
                pdq.compact()
            self.refreshed_at = time.monotonic()
        return read

    def _catch_up(self, state: MatcherState, uow: UnitOfWork, rows: Sequence | None = None) -> int:
        """Apply the change log after the cursor to ``state``, starting with ``rows`` if already read."""
        read = 0
        while True:
            if rows is None:
                rows = sync.changes_after(uow, self.cursor, REFRESH_BATCH)
            if not rows:
                break
            state.apply(rows)
            self.cursor = rows[-1][0]
            read += len(rows)
            if len(rows) < REFRESH_BATCH:
                break
            rows = None
        return read

    def _far_behind(self, uow: UnitOfWork, rows: Sequence) -> bool:
        """More than ``MAX_BEHIND`` changes after the cursor? ``rows``, the first batch after it, tells unless it
        is a full batch still within the limit: only then is the log's end asked for."""
        if not rows:
            return False
        if rows[-1][0] - self.cursor > MAX_BEHIND:
            return True
        if len(rows) < REFRESH_BATCH:
            return False
        return sync.current_cursor(uow=uow) - self.cursor > MAX_BEHIND

    def _rebase_if_newer(self, uow: UnitOfWork, rows: Sequence) -> bool:
        """Move to a newer snapshot if there is one; True if moved (and caught up). ``rows``: the first batch of
        changes after the cursor, just read."""
        base = self._state.base
        candidate = None
        if self._far_behind(uow, rows):
            try:
                candidate = self.snapshots.fresh(uow, max_behind=MAX_BEHIND)
            except OSError as exc:  # apply the changes one by one instead
                log.warning("hash-list snapshot unavailable: %s", type(exc).__name__)
        elif (rows or self.cursor > base.cursor) and \
                snapshot.file_id(self.snapshots.path) not in (None, base.file_id):
            # A newer snapshot holds changes after ours, so it can exist only if there are some. Rare (the
            # worker wrote the file): checking it is not ahead of the change log reads the log's end.
            candidate = self.snapshots.usable(uow)
        if candidate is None or candidate.cursor <= base.cursor:
            return False
        # Catch the new state up before it serves, so no match ever sees less than the old state did.
        fresh, cursor = MatcherState(candidate, self.max_distance), self.cursor
        self.cursor = candidate.cursor
        try:
            self._catch_up(fresh, uow)
        except Exception:
            self.cursor = cursor
            raise
        self._state = fresh
        return True

    def apply(self, rows: Sequence) -> None:
        """Apply change rows shaped like ``sync.changes_after`` (seq, op, entry id, type, value, bank id,
        bank, confirmed, classification, tags). Replaying rows is harmless."""
        self._state.apply(rows)

    # --- matching ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._state)

    def match(self, queries: Iterable[Query]) -> list[ItemResult]:
        """Per query, in order: its matches, or why it was ignored or refused. Never raises for a bad item."""
        state = self._state  # one state for the whole request, even if a newer snapshot is taken meanwhile
        results: list[ItemResult | None] = []
        pdq_at: list[int] = []
        pdq_values: list[str] = []
        for i, q in enumerate(queries):
            signal_type = q.signal_type if isinstance(q.signal_type, str) else None
            try:
                if signal_type is None:
                    raise InvalidSignal("unknown_type", "the type must be a signal type name")
                if not isinstance(q.value, str):
                    raise InvalidSignal("empty", "the value must be a string")
                value = normalise_signal(signal_type, q.value)
            except InvalidSignal as exc:
                results.append(ItemResult(i, signal_type, None, "error", error_code=exc.code))
                continue
            quality = q.quality
            if quality is not None and (isinstance(quality, bool) or not isinstance(quality, int)
                                        or not 0 <= quality <= 100):
                results.append(ItemResult(i, signal_type, value, "error", error_code="bad_quality"))
                continue
            if signal_type == "pdq":
                if quality is not None and quality < self.min_quality:
                    results.append(ItemResult(i, signal_type, value, "ignored"))
                    continue
                pdq_at.append(i)
                pdq_values.append(value)
                results.append(None)
                continue
            hits = _hits(state, ((entry_id, 0) for entry_id in state.exact_ids(signal_type, value)))
            results.append(ItemResult(i, signal_type, value, "match" if hits else "no_match", hits))
        if pdq_values:
            found = state.search_pdq(pdq_values, self.max_distance)
            for i, value, pairs in zip(pdq_at, pdq_values, found):
                hits = _hits(state, pairs)
                results[i] = ItemResult(i, "pdq", value, "match" if hits else "no_match", hits)
        return results  # type: ignore[return-value]


def _hits(state: MatcherState, pairs: Iterable[tuple[int, int]]) -> list[Hit]:
    hits = []
    for entry_id, distance in pairs:
        info = state.info(entry_id)
        if info is not None:  # None: removed after the snapshot
            hits.append(Hit(entry_id, info.bank_id, info.bank, info.confirmed, info.classification, distance))
    return hits


class MatcherFollower:
    """A daemon thread that refreshes a matcher from the database every ``poll_seconds``."""

    def __init__(self, matcher: Matcher, uow_factory, *, poll_seconds: float = 0.2) -> None:
        self.matcher = matcher
        self.uow_factory = uow_factory
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> None:
        with self.uow_factory().reading() as uow:  # 5 times a second: must not take SQLite's write lock
            self.matcher.refresh(uow)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll_once()
            except Exception as exc:  # noqa: BLE001 - the database may be briefly away; keep following
                log.warning("matcher refresh failed: %s", type(exc).__name__)

    def start(self) -> "MatcherFollower":
        self._thread = threading.Thread(target=self._run, name="safe4c-matcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


# --- the matcher a process owns ------------------------------------------------------------------------

class SharedMatcher:
    """The matcher of one process for one database, owned by whoever serves, never a global: the web app keeps
    one in ``app.state.shared_matcher`` and gives it to the worker it runs in-process; a ``safe4c worker``
    process owns its own. Each test app has its own. ``matcher`` is None until loaded."""

    def __init__(self) -> None:
        self._matcher: Matcher | None = None
        self.follower: MatcherFollower | None = None  # running while not None
        self._loader: threading.Thread | None = None
        # Re-entrant: serving() loads and starts the follower under it. Followers are started and stopped under
        # it too, so an app whose lifespan runs several times at once (tests do) never leaves one running.
        self._lock = threading.RLock()
        self._starting = threading.Lock()

    @property
    def matcher(self) -> Matcher | None:
        """The loaded matcher (waiting for the start-up load if it is under way), or None."""
        loader = self._loader
        if loader is not None and loader is not threading.current_thread() and loader.is_alive():
            loader.join()
        return self._matcher

    @matcher.setter
    def matcher(self, value: Matcher | None) -> None:
        self._matcher = value

    @property
    def status(self) -> str:
        """``ready`` (matching), ``loading`` (start-up is loading it) or ``not_loaded`` (the first match loads it)."""
        matcher = self._matcher
        if matcher is not None and matcher.loaded:
            return "ready"
        loader = self._loader
        return "loading" if loader is not None and loader.is_alive() else "not_loaded"

    def start(self, uow_factory, *, poll_seconds: float) -> None:
        """Load in a background thread and then follow: the server answers at once (``/healthz`` says
        ``loading``) and a match request meanwhile waits for the load. With the machine's snapshot the load is
        a memory map plus the changes since; without one this process builds it (others wait for it)."""

        def run() -> None:
            try:
                with self._lock:
                    with uow_factory() as uow:
                        self.load(uow)
                    self.follow(uow_factory, poll_seconds=poll_seconds)
            except Exception as exc:  # noqa: BLE001 - serve the rest of the app; matching retries on demand
                log.warning("hash list not loaded at start-up: %s", type(exc).__name__)

        with self._starting:  # one loader at a time: an app whose lifespan runs several times at once starts one
            if self._loader is not None and self._loader.is_alive():
                return
            self._loader = threading.Thread(target=run, name="safe4c-matcher-load", daemon=True)
            self._loader.start()

    def load(self, uow: UnitOfWork) -> Matcher:
        """Load a new matcher from ``uow`` and keep it (it replaces any earlier one)."""
        matcher = Matcher.from_settings(uow.settings)
        matcher.load(uow)
        self.matcher = matcher
        return matcher

    def refreshed(self, uow: UnitOfWork) -> Matcher:
        """The matcher, loaded if needed and otherwise refreshed now: what a ``report.match`` job matches with."""
        with self._lock:  # under the lock, the field: the property would wait for a loader that waits for the lock
            matcher = self._matcher
            if matcher is None or not matcher.loaded:
                return self.load(uow)
        matcher.refresh(uow)
        return matcher

    def serving(self, uow_factory, *, poll_seconds: float) -> Matcher:
        """The matcher for ``/api/v1/match``, followed by its ``MatcherFollower`` thread.

        If start-up could not load it (database not migrated yet, or away), the first request loads it and
        starts its follower. If the follower has fallen behind, the request tries to catch up; when the
        database is away meanwhile, it answers from the list as it was (``cursor`` says which) rather than
        failing."""
        matcher = self.matcher
        if matcher is None or not matcher.loaded or self.follower is None:
            with self._lock:
                if self._matcher is None or not self._matcher.loaded or self.follower is None:
                    with uow_factory().reading() as uow:
                        self.load(uow)
                    self.follow(uow_factory, poll_seconds=poll_seconds)
                return self._matcher
        if time.monotonic() - matcher.refreshed_at > max(1.0, 5 * poll_seconds):
            try:
                with uow_factory().reading() as uow:
                    matcher.refresh(uow)
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not fail matching
                log.warning("hash list not refreshed; serving it as of change %s: %s", matcher.cursor,
                            type(exc).__name__)
        return matcher

    def follow(self, uow_factory, *, poll_seconds: float) -> MatcherFollower:
        """Start a follower thread for the current matcher (stopping one that followed an earlier matcher)."""
        with self._lock:
            if self.follower is not None:
                self.follower.stop()
            self.follower = MatcherFollower(self._matcher, uow_factory, poll_seconds=poll_seconds).start()
            return self.follower

    def stop(self) -> None:
        loader = self._loader
        if loader is not None:
            loader.join()
        with self._lock:
            if self.follower is not None:
                self.follower.stop()
                self.follower = None
