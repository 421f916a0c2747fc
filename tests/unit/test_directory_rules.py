"""The directory's pure rules: reading and writing HSDS, coverage per regency, the 3T list (plain values)."""

from __future__ import annotations

import copy
from importlib import resources

from safe4c.directory.rules import hsds, hsds_out
from safe4c.directory.rules.coverage import Offer, coverage, national_offers, read_remote_list
from safe4c.directory.rules.records import Contact, Location, Organization, Phone, Service
from safe4c.directory.rules.types import NATIONAL, covers
from safe4c.kernel import regions

ORG = Organization(
    id="7d6c3a0e-0c7d-4c63-9a53-2f2f0d6f0a01", name="UPTD PPA Provinsi Jawa Barat", org_type="uptd_ppa",
    region_code="32", description="Unit", website="https://example.org",
    phones=(Phone(id="7d6c3a0e-0c7d-4c63-9a53-2f2f0d6f0a02", number="022-000", is_example=True),),
    contacts=(Contact(id="7d6c3a0e-0c7d-4c63-9a53-2f2f0d6f0a03", name="Petugas", email="p@example.org",
                      is_example=True),),
    locations=(Location(id="7d6c3a0e-0c7d-4c63-9a53-2f2f0d6f0a04", name="Kantor", address="Jl. Contoh 1",
                        region_code="32.73"),),
    services=(Service(id="7d6c3a0e-0c7d-4c63-9a53-2f2f0d6f0a05", name="Pengaduan", service_type="complaints",
                      area_codes=("32",), location_ids=("7d6c3a0e-0c7d-4c63-9a53-2f2f0d6f0a04",),
                      languages=("id", "su"), minimum_age=0, maximum_age=17),),
)


def test_what_to_hsds_writes_parse_reads_back_unchanged():
    document = hsds_out.page([ORG])
    assert document["total_items"] == 1 and document["contents"][0]["name"] == ORG.name
    assert hsds.parse(document) == ([ORG], [])
    assert hsds.parse(document["contents"]) == ([ORG], [])  # a bare list of organizations too


def test_the_hsds_shape_carries_types_regions_and_examples_as_attributes():
    out = hsds_out.to_hsds(ORG)
    terms = {(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"]) for a in out["attributes"]}
    assert terms == {(hsds.TAX_ORG_TYPE, "uptd_ppa"), (hsds.TAX_REGION, "32")}
    assert out["phones"][0]["attributes"][0]["taxonomy_term"]["taxonomy"] == hsds.TAX_EXAMPLE
    service = out["services"][0]
    assert service["service_areas"][0]["name"] == "Jawa Barat"
    assert service["service_at_locations"][0]["location_id"] == ORG.locations[0].id
    assert out["locations"][0]["addresses"][0]["city"] == "Kota Bandung"


def _problems(document) -> dict[str, str]:
    orgs, errors = hsds.parse(document)
    return {e.field: e.message.format(**e.params) for e in errors}


def test_every_problem_is_reported_with_its_place():
    bad = copy.deepcopy(hsds_out.to_hsds(ORG))
    del bad["name"]
    bad["attributes"] = [a for a in bad["attributes"] if a["taxonomy_term"]["taxonomy"] != hsds.TAX_ORG_TYPE]
    bad["services"][0]["status"] = "open"
    bad["services"][0]["minimum_age"] = 30
    bad["services"][0]["service_at_locations"][0]["location_id"] = "elsewhere"
    bad["contacts"][0]["email"] = "not an address"
    bad["locations"][0]["attributes"][0]["taxonomy_term"]["code"] = "99.99"
    problems = _problems([bad])
    assert problems["contents[0].name"] == "This field is required."
    assert "taxonomy safe4c-organization-type" in problems["contents[0].attributes"]
    assert problems["contents[0].services[0].status"].startswith("Unknown value open")
    assert problems["contents[0].services[0].minimum_age"] == "The minimum age is above the maximum age."
    assert problems["contents[0].services[0].service_at_locations[0].location_id"].startswith("No location")
    assert problems["contents[0].contacts[0].email"] == "Expected an email address."
    assert problems["contents[0].locations[0].attributes"] == "99.99 is not a Kemendagri province or regency code."


def test_ids_are_uuids_and_unique_in_the_file():
    one = hsds_out.to_hsds(ORG)
    problems = _problems([one, copy.deepcopy(one)])
    assert problems["contents[1].id"] == "This id appears more than once in the file."
    assert _problems([{**one, "id": "org-1"}])["contents[0].id"] == "Expected a UUID."


def test_missing_child_ids_are_derived_from_their_place():
    doc = copy.deepcopy(hsds_out.to_hsds(ORG))
    del doc["phones"][0]["id"]
    orgs, errors = hsds.parse([doc])
    assert not errors and orgs[0].phones[0].id == hsds.derived_id(ORG.id, "phone", "0")
    assert hsds.parse([doc])[0][0].phones[0].id == orgs[0].phones[0].id


def test_a_file_that_is_not_a_list_of_organizations():
    assert _problems({"organizations": []}) == {"file": 'Expected a list of HSDS organizations, or an HSDS page '
                                                        'with "contents".'}
    assert _problems([]) == {"file": "The file holds no organizations."}
    assert _problems([1]) == {"contents[0]": "Expected an object."}


def test_a_service_area_covers_its_regencies_or_the_whole_country():
    assert covers("32", "32.73") and covers("32.73", "32.73") and covers(NATIONAL, "91.71")
    assert not covers("32", "33.01") and not covers("3", "32.73") and not covers("32.7", "32.73")


def test_coverage_counts_providers_per_type_and_finds_gaps():
    rows = coverage(regencies=[("32.73", "Kota Bandung"), ("32.01", "Kabupaten Bogor"), ("53.01", "Kupang")],
                    offers=[Offer(1, "complaints", ("32",)), Offer(1, "mediation", ("32",)),
                            Offer(2, "complaints", ("32.73",)), Offer(3, "complaints", (NATIONAL,))],
                    located=[(2, "32.73"), (1, "32.73")], reports={"32.01": 4, "32.73": 1, "53.01": 2},
                    remote=frozenset({"53.01"}))
    bandung, bogor, kupang = rows
    assert bandung.serving == {"complaints": 2, "mediation": 1} and bandung.providers_here == 2 and not bandung.gap
    assert bogor.serving == {"complaints": 1, "mediation": 1} and bogor.gap  # served from the province only
    assert kupang.remote and kupang.gap and kupang.serving == {}  # the national hotline is not counted here
    assert "case_management" in bogor.missing_types and "complaints" not in bogor.missing_types
    assert national_offers([Offer(3, "complaints", (NATIONAL,)), Offer(1, "complaints", ("32",))]) == \
        {"complaints": 1}


def test_the_3t_list_has_the_62_regencies_of_perpres_63_2020_with_current_codes():
    text = resources.files("safe4c.directory").joinpath("data", "daerah_tertinggal_2020_2024.csv").read_text()
    codes = read_remote_list(text.splitlines())
    assert len(codes) == 62
    assert all(regions.get(code) is not None and code.count(".") == 1 for code in codes)
    assert {"12.04", "81.03", "94.08"} <= codes  # Nias; Maluku Tenggara Barat (now Kepulauan Tanimbar); Deiyai
