"""The linker core: reports that share an identifier belong to one cluster (pure, no I/O).

Two operations, both used by ``networks/linking.py`` (which keeps the result in the database) and by the
benchmark (``safe4c bench link``), which runs them in memory:

- ``Linker.add``: a new report with its identifier keys joins the clusters of the earlier reports that
  hold any of those keys (union-find with union by size and path halving: near-constant time per key, so
  clustering grows with the reports, never a recomputation);
- ``split``: the components of one cluster after some edges were removed (a cut link, an identifier marked
  as not linking): only that cluster's reports and identifiers are looked at.

A *link* says why a report is in its cluster: (report, earlier report, key) where the earlier report is the
first one, in arrival order, that holds the key. So there are at most as many links as (report, key) pairs,
not one per pair of reports.

*Weak* keys (an account on a known platform also held as "the same handle, platform not known",
``networks/identifiers.py``) link only to reports that hold the key for real: an Instagram @budi links to a
child's @budi of unknown platform, but an Instagram @budi and a TikTok @budi do not link through it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass


class Linker:
    """Incremental union-find over reports numbered 0, 1, 2... in arrival order."""

    __slots__ = ("parent", "size", "first_holder", "first_strong", "not_linking")

    def __init__(self, not_linking: Iterable[Hashable] = ()):
        self.parent: list[int] = []
        self.size: list[int] = []
        self.first_holder: dict[Hashable, int] = {}  # key -> first report that held it
        self.first_strong: dict[Hashable, int] = {}  # key -> first report that held it for real (not weakly)
        self.not_linking = set(not_linking)

    def find(self, report: int) -> int:
        parent = self.parent
        while parent[report] != report:
            parent[report] = parent[parent[report]]  # path halving
            report = parent[report]
        return report

    def _union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return ra

    def add(self, keys: Iterable[Hashable], weak: Iterable[Hashable] = ()) -> tuple[int, list[tuple[Hashable, int]]]:
        """Add the next report with its keys and its weak keys; returns its number and its links
        [(key, earlier report)]. A weak key links to the first report that holds it for real, if any."""
        report = len(self.parent)
        self.parent.append(report)
        self.size.append(1)
        holders, strong = self.first_holder, self.first_strong
        links = []
        for key in keys:
            if key in self.not_linking:
                continue
            earlier = holders.setdefault(key, report)
            strong.setdefault(key, report)
            if earlier != report:
                self._union(report, earlier)
                links.append((key, earlier))
        for key in weak:
            if key in self.not_linking:
                continue
            holders.setdefault(key, report)
            earlier = strong.get(key, report)
            if earlier != report:
                self._union(report, earlier)
                links.append((key, earlier))
        return report, links

    def cluster_size(self, report: int) -> int:
        return self.size[self.find(report)]

    def clusters(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for report in range(len(self.parent)):
            out.setdefault(self.find(report), []).append(report)
        return out


@dataclass(frozen=True)
class Component:
    reports: tuple[Hashable, ...]  # in the order given (arrival order)
    links: tuple[tuple[Hashable, Hashable, Hashable], ...]  # (report, earlier report, key)


def split(reports: Sequence[Hashable], keys_of: dict[Hashable, Iterable[Hashable]],
          weak_of: dict[Hashable, Iterable[Hashable]] | None = None) -> list[Component]:
    """The connected components of ``reports`` (in arrival order) joined by the keys in ``keys_of`` and the
    weak keys in ``weak_of`` (only the edges that still link). Components come in the order of their first
    report."""
    linker = Linker()
    weak_of = weak_of or {}
    number, found = {}, []
    for report in reports:
        n, links = linker.add(keys_of.get(report, ()), weak_of.get(report, ()))
        number[report] = n
        found += [(report, reports_by_number, key) for key, reports_by_number in links]
    by_number = {n: report for report, n in number.items()}
    by_root: dict[int, list[Hashable]] = {}
    for report in reports:
        by_root.setdefault(linker.find(number[report]), []).append(report)
    links_of: dict[int, list[tuple[Hashable, Hashable, Hashable]]] = {}
    for report, earlier, key in found:
        links_of.setdefault(linker.find(number[report]), []).append((report, by_number[earlier], key))
    return [Component(tuple(members), tuple(links_of.get(root, ()))) for root, members in by_root.items()]
