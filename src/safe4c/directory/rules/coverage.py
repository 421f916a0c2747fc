"""Coverage per regency: who serves it, whether it is remote (3T), and whether children report from it with no
provider there. Pure: the use case (directory/coverage.py) reads the rows and the 3T list and passes them in.

- A provider *serves* a regency with a service type when it offers an active service of that type whose area is
  the regency or its province. National services (SAPA 129, the ministry) reach every regency and are counted
  apart: counting them would hide every gap.
- A provider is *in* a regency when one of its physical locations is there.
- A *gap* is a regency with reports but no provider in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from safe4c.directory.rules.types import NATIONAL, SERVICE_TYPES, covers


@dataclass(frozen=True)
class Offer:
    organization_id: int
    service_type: str
    area_codes: tuple[str, ...]


@dataclass(frozen=True)
class CoverageRow:
    code: str
    name: str
    province_code: str
    remote: bool  # on the 3T list (Perpres 63/2020)
    reports: int
    providers_here: int  # organisations with a physical location in the regency
    serving: dict[str, int] = field(default_factory=dict)  # service type -> organisations serving it

    @property
    def gap(self) -> bool:
        return self.reports > 0 and self.providers_here == 0

    @property
    def missing_types(self) -> tuple[str, ...]:
        return tuple(t for t in SERVICE_TYPES if not self.serving.get(t))


def coverage(*, regencies: list[tuple[str, str]], offers: list[Offer], located: list[tuple[int, str]],
             reports: dict[str, int], remote: frozenset[str]) -> list[CoverageRow]:
    """One row per regency (``(code, name)``, in the order given). ``located``: (organisation, regency code) of
    physical locations; ``reports``: reports per regency code."""
    here: dict[str, set[int]] = {}
    for org, code in located:
        here.setdefault(code, set()).add(org)
    rows = []
    for code, name in regencies:
        serving: dict[str, set[int]] = {}
        for offer in offers:
            if any(area != NATIONAL and covers(area, code) for area in offer.area_codes):
                serving.setdefault(offer.service_type, set()).add(offer.organization_id)
        rows.append(CoverageRow(code=code, name=name, province_code=code.split(".")[0], remote=code in remote,
                                reports=reports.get(code, 0), providers_here=len(here.get(code, ())),
                                serving={t: len(orgs) for t, orgs in serving.items()}))
    return rows


def national_offers(offers: list[Offer]) -> dict[str, int]:
    """Service type -> organisations offering it to the whole country."""
    out: dict[str, set[int]] = {}
    for offer in offers:
        if NATIONAL in offer.area_codes:
            out.setdefault(offer.service_type, set()).add(offer.organization_id)
    return {t: len(orgs) for t, orgs in out.items()}


def read_remote_list(lines) -> frozenset[str]:
    """The regency codes in the 3T data file (CSV with '#' comment lines and a header)."""
    codes = set()
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("regency_code"):
            continue
        codes.add(line.split(",", 1)[0].strip())
    return frozenset(codes)
