"""The starting agencies (`safe4c agency seed`, also run by `safe4c demo` and so by `make run`).

Real and public: the ministry (KemenPPPA) and its SAPA 129 hotline, national ("ID"). One UPTD PPA per province,
named "UPTD PPA Provinsi <name>" (each province has one by regulation, Permen PPPA 4/2018); an agency holds no
contact details, and their directory entries carry example contacts marked as such. Examples throughout, marked
``is_example`` and "(contoh)" in the name: UPTD PPA units of two cities (Bandung, Kupang), police PPA units (a
Polda and a Polres), a social service, a safe house, a psychosocial provider, a hospital's integrated service
centre and legal aid. Each agency is linked to its service-directory entry when the directory holds one (same
type and name): seed the directory first (`safe4c demo` does), or seed the agencies again afterwards.

Seeding twice updates the same agencies by code, never adds copies; agencies created by hand are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from safe4c.cases.agencies import put_agency
from safe4c.cases.rules.agencies import AgencyInput, check
from safe4c.kernel import audit, regions
from safe4c.kernel.uow import UnitOfWork

NATIONAL = (
    AgencyInput("kemenpppa", "Kementerian Pemberdayaan Perempuan dan Perlindungan Anak", "ministry", "ID"),
    AgencyInput("sapa-129", "SAPA 129 (Sahabat Perempuan dan Anak)", "hotline", "ID"),
)
# Invented units in two regions (West Java and East Nusa Tenggara, where the demo's staff work) and the
# directory's example providers, under the same names so that they link.
EXAMPLES = (
    AgencyInput("uptd-ppa-32-73", "UPTD PPA Kota Bandung (contoh)", "uptd_ppa", "32.73", True),
    AgencyInput("uptd-ppa-53-71", "UPTD PPA Kota Kupang (contoh)", "uptd_ppa", "53.71", True),
    AgencyInput("ppa-polda-jabar", "Unit PPA Ditreskrimum Polda Jawa Barat (contoh)", "police_unit", "32", True),
    AgencyInput("ppa-polres-kupang", "Unit PPA Polres Kupang (contoh)", "police_unit", "53.01", True),
    AgencyInput("dinsos-bandung", "Dinas Sosial Kota Bandung (contoh)", "social_service", "32.73", True),
    AgencyInput("rumah-aman-jayapura", "Rumah Aman Anak Jayapura (contoh)", "social_service", "91.71", True),
    AgencyInput("psikososial-bandung", "Layanan Psikososial Anak Bandung (contoh)", "psychosocial", "32.73", True),
    AgencyInput("ppt-rsud-makassar", "Pusat Pelayanan Terpadu RSUD Makassar (contoh)", "health", "73.71", True),
    AgencyInput("lbh-anak-kupang", "Lembaga Bantuan Hukum Anak Kupang (contoh)", "legal_aid", "53.71", True),
)


@dataclass(frozen=True)
class SeedResult:
    added: int
    updated: int
    linked: int  # agencies linked to their service-directory entry


def seed_entries() -> list[AgencyInput]:
    provincial = [AgencyInput(f"uptd-ppa-{p.code}", f"UPTD PPA Provinsi {p.name}", "uptd_ppa", p.code)
                  for p in regions.provinces()]
    return [*NATIONAL, *provincial, *EXAMPLES]


def seed(*, uow: UnitOfWork, actor_id: int | None = None) -> SeedResult:
    """Add or update the seed agencies in one transaction, with one audit entry."""
    added = updated = linked = 0
    for entry in seed_entries():
        cleaned, errors = check(entry)
        if errors:  # the seed is data we ship: a wrong entry is our bug, caught by its test
            raise ValueError(f"seed agency {entry.code}: {[e.field for e in errors]}")
        row, new = put_agency(uow, cleaned, replace=True)
        added, updated = added + new, updated + (not new)
        linked += row.organization_id is not None
    result = SeedResult(added=added, updated=updated, linked=linked)
    audit.record(uow, actor_id=actor_id, action="agency.seed", subject_type="agency",
                 detail={"added": added, "updated": updated, "linked": linked})
    uow.commit()
    return result
