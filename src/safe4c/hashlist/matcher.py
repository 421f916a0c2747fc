"""The per-process matcher: the hash list in memory, following the database's change log.

- PDQ in a ``MultiHashPdqIndex`` (FAISS multi-index hashing, exact up to distance 31); md5, sha1, sha256 and
  url in a dict from (type, match key) to entry ids. The match key is the canonical value, except that a URL
  is keyed by ``kernel.urls.url_match_key`` (http and https are the same link), as the hash list's value keys.
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

from safe4c.kernel.urls import url_match_key
from safe4c.hashlist.matching import InvalidSignal, MultiHashPdqIndex, normalise_signal
from safe4c.hashlist.matching.pdq import PDQ_MATCH_DISTANCE, PDQ_MIN_QUALITY
from safe4c.hashlist import sync
from safe4c.kernel.uow import UnitOfWork

log = logging.getLogger(__name__)

REFRESH_BATCH = 5000


@dataclass(frozen=True, slots=True)
class EntryInfo:
    bank_id: int
    bank: str
    confirmed: bool
    classification: str


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


class Matcher:
    def __init__(self, *, max_distance: int = PDQ_MATCH_DISTANCE, min_quality: int = PDQ_MIN_QUALITY) -> None:
        self.max_distance = max_distance
        self.min_quality = min_quality
        self.cursor = 0
        self.loaded = False
        self.refreshed_at = 0.0  # time.monotonic() of the last successful refresh
        self._meta: dict[int, EntryInfo] = {}
        self._exact: dict[tuple[str, str], frozenset[int]] = {}
        self._pdq = MultiHashPdqIndex(max_distance=max_distance)
        self._refresh_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "Matcher":
        return cls(max_distance=settings.match_pdq_max_distance, min_quality=settings.match_pdq_min_quality)

    # --- following the database -------------------------------------------------------------------------

    def load(self, uow: UnitOfWork, *, only: tuple[str, str] | None = None) -> int:
        """Read every matchable entry, then the changes made meanwhile. Returns how many entries are loaded.

        ``only=(type, canonical value)`` reads just the entries of that exact (non-PDQ) value, for a one-off
        lookup (``safe4c match``); such a matcher must not be kept and followed."""
        with self._refresh_lock:
            cursor = sync.current_cursor(uow=uow)  # first: what changes during the read is replayed after
            ids, hashes = [], []
            meta: dict[int, EntryInfo] = {}
            exact: dict[tuple[str, str], set[int]] = {}
            for entry_id, signal_type, value, bank_id, bank, confirmed, classification in sync.active_entries(uow, only=only):
                meta[entry_id] = EntryInfo(bank_id, bank, confirmed, classification)
                if signal_type == "pdq":
                    ids.append(entry_id)
                    hashes.append(value)
                else:
                    exact.setdefault(_exact_key(signal_type, value), set()).add(entry_id)
            index = MultiHashPdqIndex(max_distance=self.max_distance, expected_size=len(ids))
            if ids:
                index.add(ids, hashes)
            self._pdq, self._meta = index, meta
            self._exact = {key: frozenset(v) for key, v in exact.items()}
            self.cursor = cursor
            self.loaded = True
        self.refresh(uow)
        return len(meta)

    def refresh(self, uow: UnitOfWork) -> int:
        """Apply the changes after the cursor; returns how many change rows were read."""
        read = 0
        with self._refresh_lock:
            while True:
                rows = sync.changes_after(uow, self.cursor, REFRESH_BATCH)
                if not rows:
                    break
                self.apply(rows)
                self.cursor = rows[-1][0]
                read += len(rows)
                if len(rows) < REFRESH_BATCH:
                    break
            if self._pdq.inactive_rows > max(1000, len(self._pdq) // 5) or self._pdq.params_outgrown:
                # Removal is a mask: give the memory back now and then, and re-choose the index layout for a
                # list that has grown or shrunk past the crossover. Searches go on during the rebuild.
                self._pdq.compact()
            self.refreshed_at = time.monotonic()
        return read

    def apply(self, rows: Sequence) -> None:
        """Apply change rows shaped like ``sync.changes_after`` (seq, op, entry id, type, value, bank id,
        bank, confirmed, classification, tags). Replaying rows is harmless."""
        last: dict[int, tuple] = {}
        for row in rows:  # only an entry's last change in the batch counts
            last.pop(row[2], None)
            last[row[2]] = row
        pdq_add_ids, pdq_add, pdq_remove = [], [], []
        for seq, op, entry_id, signal_type, value, bank_id, bank, confirmed, classification, _tags in last.values():
            if op == "add":
                self._meta[entry_id] = EntryInfo(bank_id, bank, confirmed, classification)
                if signal_type == "pdq":
                    pdq_add_ids.append(entry_id)
                    pdq_add.append(value)
                else:
                    key = _exact_key(signal_type, value)
                    self._exact[key] = self._exact.get(key, frozenset()) | {entry_id}
            else:
                if signal_type == "pdq":
                    pdq_remove.append(entry_id)
                else:
                    key = _exact_key(signal_type, value)
                    remaining = self._exact.get(key, frozenset()) - {entry_id}
                    if remaining:
                        self._exact[key] = remaining
                    else:
                        self._exact.pop(key, None)
                self._meta.pop(entry_id, None)
        if pdq_remove:
            self._pdq.remove(pdq_remove)
        if pdq_add_ids:
            self._pdq.add(pdq_add_ids, pdq_add)

    # --- matching ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._meta)

    def _hit(self, entry_id: int, distance: int) -> Hit | None:
        info = self._meta.get(entry_id)
        if info is None:  # removed between the lookup and now
            return None
        return Hit(entry_id, info.bank_id, info.bank, info.confirmed, info.classification, distance)

    def match(self, queries: Iterable[Query]) -> list[ItemResult]:
        """Per query, in order: its matches, or why it was ignored or refused. Never raises for a bad item."""
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
            ids = self._exact.get(_exact_key(signal_type, value), frozenset())
            hits = [h for entry_id in sorted(ids) if (h := self._hit(entry_id, 0))]
            results.append(ItemResult(i, signal_type, value, "match" if hits else "no_match", hits))
        if pdq_values:
            found = self._pdq.search(pdq_values, max_distance=self.max_distance)
            for i, value, pairs in zip(pdq_at, pdq_values, found):
                hits = [h for entry_id, distance in pairs if (h := self._hit(entry_id, distance))]
                results[i] = ItemResult(i, "pdq", value, "match" if hits else "no_match", hits)
        return results  # type: ignore[return-value]



def _exact_key(signal_type: str, value: str) -> tuple[str, str]:
    return signal_type, url_match_key(value) if signal_type == "url" else value


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
        self.matcher: Matcher | None = None
        self.follower: MatcherFollower | None = None  # running while not None
        # Re-entrant: serving() loads and starts the follower under it. Followers are started and stopped under
        # it too, so an app whose lifespan runs several times at once (tests do) never leaves one running.
        self._lock = threading.RLock()

    def load(self, uow: UnitOfWork) -> Matcher:
        """Load a new matcher from ``uow`` and keep it (it replaces any earlier one)."""
        matcher = Matcher.from_settings(uow.settings)
        matcher.load(uow)
        self.matcher = matcher
        return matcher

    def refreshed(self, uow: UnitOfWork) -> Matcher:
        """The matcher, loaded if needed and otherwise refreshed now: what a ``report.match`` job matches with."""
        with self._lock:
            matcher = self.matcher
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
                if self.matcher is None or not self.matcher.loaded or self.follower is None:
                    with uow_factory().reading() as uow:
                        self.load(uow)
                    self.follow(uow_factory, poll_seconds=poll_seconds)
                return self.matcher
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
            self.follower = MatcherFollower(self.matcher, uow_factory, poll_seconds=poll_seconds).start()
            return self.follower

    def stop(self) -> None:
        with self._lock:
            if self.follower is not None:
                self.follower.stop()
                self.follower = None
