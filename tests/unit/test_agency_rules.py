"""Agencies' rules (cases/rules/agencies.py) and which staff work for one (access/rules/staff.py): plain values."""

from __future__ import annotations

from safe4c.access.rules import staff
from safe4c.cases import agency_seed
from safe4c.cases.rules.agencies import (AGENCY_TYPES, AgencyInput, check, directory_region_fits, names_match,
                                         normalise_region, region_label)
from safe4c.directory.rules.types import ORGANIZATION_TYPES
from safe4c.kernel import regions


def _fields(agency: AgencyInput) -> set[str]:
    return {e.field for e in check(agency)[1]}


def test_the_eight_types_speak_the_directorys_vocabulary():
    assert list(AGENCY_TYPES) == ["uptd_ppa", "social_service", "health", "legal_aid", "police_unit",
                                  "psychosocial", "hotline", "ministry"]
    assert all(AGENCY_TYPES[t] == ORGANIZATION_TYPES[t] for t in AGENCY_TYPES)  # one label, translated once


def test_a_good_agency_comes_back_trimmed_and_normalised():
    cleaned, errors = check(AgencyInput(" UPTD-PPA-32-73 ", "  UPTD PPA   Kota Bandung ", "uptd_ppa", "3273", True))
    assert errors == []
    assert cleaned == AgencyInput("uptd-ppa-32-73", "UPTD PPA Kota Bandung", "uptd_ppa", "32.73", True)
    assert check(AgencyInput("sapa-129", "SAPA 129", "hotline", "id"))[0].region_code == "ID"
    assert check(AgencyInput("uptd-ppa-53", "UPTD PPA Provinsi NTT", "uptd_ppa", "53"))[1] == []


def test_every_field_wrong_gives_one_error_each():
    assert _fields(AgencyInput("Bad Code!", "", "police", "99.99")) == {"code", "name", "agency_type",
                                                                       "region_code"}
    assert _fields(AgencyInput("a" * 33, "x" * 201, "uptd_ppa", "32")) == {"code", "name"}
    assert _fields(AgencyInput("-lead", "Nama", "uptd_ppa", "32")) == {"code"}
    assert _fields(AgencyInput("trail-", "Nama", "uptd_ppa", "32")) == {"code"}


def test_regions_are_kemendagri_codes_or_national():
    for good in ("ID", "id", "32", "32.73", "3273", "91.71"):
        assert _fields(AgencyInput("ok", "Nama", "uptd_ppa", good)) == set(), good
    for bad in ("", "IDN", "3", "99", "32.99", "32.7", "Jawa Barat", "32.73.01"):
        assert _fields(AgencyInput("ok", "Nama", "uptd_ppa", bad)) == {"region_code"}, bad
    assert normalise_region(" 5371 ") == "53.71"
    assert region_label("ID") == "National" and region_label("32.73") == "Kota Bandung"


def test_an_agency_and_a_directory_entry_are_one_body_by_name_type_and_region():
    assert names_match("UPTD PPA  Provinsi Bali", "uptd ppa provinsi bali")
    assert not names_match("UPTD PPA Provinsi Bali", "UPTD PPA Kota Denpasar")
    assert directory_region_fits("ID", "31.71")  # a national agency: its head office is somewhere
    assert directory_region_fits("32", "32") and directory_region_fits("32", "32.73")
    assert not directory_region_fits("32.73", "32") and not directory_region_fits("53", "32.73")


def test_case_workers_supervisors_and_police_liaisons_work_for_an_agency():
    assert [r for r in ("regulator", "analyst", "admin", "case_worker", "supervisor", "police_liaison",
                        "national_officer") if staff.needs_agency(r)] == ["case_worker", "supervisor",
                                                                            "police_liaison"]
    assert staff.fits_agency("police_liaison", "police_unit")
    assert not staff.fits_agency("police_liaison", "uptd_ppa")
    assert all(staff.fits_agency("case_worker", t) for t in AGENCY_TYPES)


def test_the_seed_is_valid_unique_and_marks_its_examples():
    entries = agency_seed.seed_entries()
    assert all(check(e)[1] == [] and check(e)[0] == e for e in entries)
    assert len({e.code for e in entries}) == len(entries) == 2 + len(regions.provinces()) + len(agency_seed.EXAMPLES)
    provincial = [e for e in entries if e.agency_type == "uptd_ppa" and regions.is_province(e.region_code)]
    assert sorted(e.region_code for e in provincial) == sorted(p.code for p in regions.provinces())
    assert all(e.name == f"UPTD PPA Provinsi {regions.name_of(e.region_code)}" for e in provincial)
    examples = [e for e in entries if e.is_example]
    assert all("(contoh)" in e.name for e in examples) and examples == list(agency_seed.EXAMPLES)
    assert {e.agency_type for e in examples} >= {"uptd_ppa", "police_unit", "social_service", "psychosocial",
                                                 "health", "legal_aid"}
    assert sum(e.agency_type == "uptd_ppa" and not regions.is_province(e.region_code) for e in examples) == 2
    assert [(e.code, e.agency_type, e.region_code) for e in entries[:2]] == [("kemenpppa", "ministry", "ID"),
                                                                            ("sapa-129", "hotline", "ID")]
