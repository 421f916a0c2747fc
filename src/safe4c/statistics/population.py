"""The iceberg's inputs per province, read from the data file shipped with its sources (data/SOURCES.md)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

NATIONAL = "00"
BEFORE_SPLIT = ("bps-telecom-2023-papua-before-split", "bps-telecom-2023-papua-barat-before-split")


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
