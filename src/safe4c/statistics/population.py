"""The iceberg's inputs per province, read from the data file shipped with its sources (data/SOURCES.md)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

NATIONAL = "00"
BEFORE_SPLIT = ("bps-telecom-2023-papua-before-split", "bps-telecom-2023-papua-barat-before-split")
WITHIN = "sp2020-within-"  # a province created in 2022: its children are counted in the row of its 2020 province


@dataclass(frozen=True)
class ProvinceInputs:
    code: str
    name: str
    children_12_17: int | None
    children_source: str
    internet_share: float | None
    internet_source: str

    @property
    def share_from_parent(self) -> bool:
        """A province created in 2022 shown with the share of the province it was part of."""
        return self.internet_source in BEFORE_SPLIT

    @property
    def within(self) -> str | None:
        """The 2020 province whose row counts this one (Papua's 2022 split), or None."""
        return self.children_source.removeprefix(WITHIN) if self.children_source.startswith(WITHIN) else None


@lru_cache(maxsize=1)
def inputs() -> dict[str, ProvinceInputs]:
    text = resources.files("safe4c.statistics").joinpath("data", "iceberg_inputs.csv").read_text(encoding="utf-8")
    out = {}
    for row in csv.DictReader(text.splitlines()):
        out[row["code"]] = ProvinceInputs(
            row["code"], row["name"], int(row["children_12_17"]) if row["children_12_17"] else None,
            row["children_source"], float(row["internet_share"]) if row["internet_share"] else None,
            row["internet_source"])
    return out


def parts() -> dict[str, tuple[str, ...]]:
    """2020 province -> the provinces created from it in 2022 (their figures are counted in its row)."""
    out: dict[str, list[str]] = {}
    for code, row in inputs().items():
        if row.within:
            out.setdefault(row.within, []).append(code)
    return {code: tuple(sorted(found)) for code, found in out.items()}
