"""What one matcher matches against (hashlist/matcher.py): the machine's snapshot and the changes after it.

``MatcherState`` holds a snapshot (``base``: shared memory when mapped from the file) and what changed after
its cursor, applied in this process: the removed ids, and the entries added since in ``meta``, ``exact`` and
a small FAISS index. A matcher swaps its state whole when it moves to a newer snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from safe4c.hashlist import snapshot
from safe4c.hashlist.matching import MultiHashPdqIndex
from safe4c.hashlist.matching.pdq import hashes_to_array
from safe4c.hashlist.matching.static_index import exact_digest


@dataclass(frozen=True, slots=True)
class EntryInfo:
    bank_id: int
    bank: str
    confirmed: bool
    classification: str



class MatcherState:
    """What one matcher matches against: a snapshot (``base``, shared memory when mapped from the file) and
    what changed after its cursor, applied here (``removed`` ids, and the entries added since in ``meta``,
    ``exact`` and a small FAISS index). Swapped whole when the matcher moves to a newer snapshot."""

    def __init__(self, base: snapshot.Snapshot, max_distance: int) -> None:
        self.base = base
        self.max_distance = max_distance
        self.removed: set[int] = set()
        self.meta: dict[int, EntryInfo] = {}
        self.exact: dict[tuple[str, str], frozenset[int]] = {}
        self.pdq: MultiHashPdqIndex | None = None  # made on the first PDQ added after the snapshot

    def info(self, entry_id: int) -> EntryInfo | None:
        if entry_id in self.removed:
            return None
        info = self.meta.get(entry_id)
        if info is not None:
            return info
        found = self.base.entry(entry_id)
        if found is None:
            return None
        bank_id, classification = found
        name, confirmed = self.base.banks.get(bank_id, ("", False))
        return EntryInfo(bank_id, name, confirmed, classification)

    def apply(self, rows: Sequence) -> None:
        last: dict[int, tuple] = {}
        for row in rows:  # only an entry's last change in the batch counts
            last.pop(row[2], None)
            last[row[2]] = row
        pdq_add_ids, pdq_add, pdq_remove = [], [], []
        for seq, op, entry_id, signal_type, value, bank_id, bank, confirmed, classification, _tags in last.values():
            in_base = entry_id in self.base
            if op == "add":
                self.removed.discard(entry_id)
                self.meta[entry_id] = EntryInfo(bank_id, bank, confirmed, classification)
                if in_base:  # the snapshot has it (its value never changes): no longer removed is enough
                    continue
                if signal_type == "pdq":
                    pdq_add_ids.append(entry_id)
                    pdq_add.append(value)
                else:
                    key = signal_type, snapshot.match_key(signal_type, value)
                    self.exact[key] = self.exact.get(key, frozenset()) | {entry_id}
            else:
                self.removed.add(entry_id)
                self.meta.pop(entry_id, None)
                if signal_type == "pdq":
                    pdq_remove.append(entry_id)
                else:
                    key = signal_type, snapshot.match_key(signal_type, value)
                    remaining = self.exact.get(key, frozenset()) - {entry_id}
                    if remaining:
                        self.exact[key] = remaining
                    else:
                        self.exact.pop(key, None)
        if pdq_remove and self.pdq is not None:
            self.pdq.remove(pdq_remove)
        if pdq_add_ids:
            if self.pdq is None:
                self.pdq = MultiHashPdqIndex(max_distance=self.max_distance)
            self.pdq.add(pdq_add_ids, pdq_add)

    def __len__(self) -> int:
        removed_in_base = sum(1 for entry_id in self.removed if entry_id in self.base)
        added = sum(1 for entry_id in self.meta if entry_id not in self.base)
        return len(self.base) - removed_in_base + added

    def exact_ids(self, signal_type: str, value: str) -> list[int]:
        key = signal_type, snapshot.match_key(signal_type, value)
        ids = set(self.base.exact.lookup(exact_digest(*key))) | self.exact.get(key, frozenset())
        return sorted(ids)

    def search_pdq(self, values: list[str], max_distance: int) -> list[list[tuple[int, int]]]:
        found: list[list[tuple[int, int]]] = [[] for _ in values]
        queries = hashes_to_array(values)
        query_of, rows, distances = self.base.pdq.search_rows(queries, max_distance)
        ids = self.base.pdq.ids
        for q, row, distance in zip(query_of.tolist(), rows.tolist(), distances.tolist()):
            found[q].append((int(ids[row]), distance))
        if self.pdq is not None and len(self.pdq):
            for q, pairs in enumerate(self.pdq.search(queries, max_distance=max_distance)):
                found[q].extend(pairs)
        return [sorted(pairs, key=lambda pair: (pair[1], pair[0])) for pairs in found]
