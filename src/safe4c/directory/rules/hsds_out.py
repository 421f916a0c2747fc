"""Writing directory records as HSDS 3.0 JSON: the inverse of ``hsds.parse`` (docs/directory.md)."""

from __future__ import annotations

from safe4c.directory.rules.hsds import TAX_EXAMPLE, TAX_ORG_TYPE, TAX_REGION, TAX_SERVICE_TYPE, derived_id
from safe4c.directory.rules.records import Contact, Location, Organization, Phone, Service
from safe4c.directory.rules.types import NATIONAL, ORGANIZATION_TYPES, SERVICE_TYPES
from safe4c.kernel import regions

TAXONOMY_DESCRIPTIONS = {
    TAX_ORG_TYPE: "safe4c organisation types (docs/directory.md)",
    TAX_SERVICE_TYPE: "safe4c service types (docs/directory.md)",
    TAX_REGION: "Kemendagri province and regency codes (Kepmendagri 300.2.2-2138/2025); ID: all of Indonesia",
    TAX_EXAMPLE: "An example entry: not a real provider, or its real contacts are not public",
}


def _region_name(code: str) -> str:
    if code == NATIONAL:
        return "Indonesia"
    region = regions.get(code)
    return region.name if region else code


def _attribute(link_id: str, entity: str, taxonomy: str, code: str, name: str) -> dict:
    return {"id": derived_id(link_id, taxonomy, code), "link_id": link_id, "link_entity": entity,
            "link_type": taxonomy, "taxonomy_term_id": derived_id(taxonomy, code), "label": name,
            "taxonomy_term": {"id": derived_id(taxonomy, code), "code": code, "name": name,
                              "description": TAXONOMY_DESCRIPTIONS[taxonomy], "taxonomy": taxonomy}}


def _example(link_id: str, entity: str, is_example: bool) -> list[dict]:
    return [_attribute(link_id, entity, TAX_EXAMPLE, "example", "Example entry")] if is_example else []


def _phone(p: Phone, owner_field: str, owner_id: str) -> dict:
    return {"id": p.id, owner_field: owner_id, "number": p.number, "type": p.type, "description": p.description,
            "attributes": _example(p.id, "phone", p.is_example)}


def _contact(c: Contact, owner_field: str, owner_id: str) -> dict:
    return {"id": c.id, owner_field: owner_id, "name": c.name, "title": c.title, "email": c.email,
            "phones": [_phone(p, "contact_id", c.id) for p in c.phones],
            "attributes": _example(c.id, "contact", c.is_example)}


def _location(loc: Location, org_id: str) -> dict:
    out = {"id": loc.id, "organization_id": org_id, "name": loc.name, "location_type": loc.location_type,
           "addresses": [], "attributes": []}
    if loc.address:
        region = regions.get(loc.region_code or "")
        province = regions.get((loc.region_code or "")[:2])
        out["addresses"] = [{"id": derived_id(loc.id, "address"), "location_id": loc.id,
                             "address_1": loc.address, "city": region.name if region and region != province else "",
                             "state_province": province.name if province else "", "postal_code": "",
                             "country": "ID", "address_type": loc.location_type}]
    if loc.region_code:
        out["attributes"] = [_attribute(loc.id, "location", TAX_REGION, loc.region_code,
                                        _region_name(loc.region_code))]
    return out


def _service(s: Service, org_id: str) -> dict:
    return {
        "id": s.id, "organization_id": org_id, "name": s.name, "description": s.description, "status": s.status,
        "email": s.email, "url": s.url, "eligibility_description": s.eligibility_description,
        "minimum_age": s.minimum_age, "maximum_age": s.maximum_age,
        "service_areas": [{"id": derived_id(s.id, "area", str(i)), "service_id": s.id, "name": _region_name(code),
                           "attributes": [_attribute(derived_id(s.id, "area", str(i)), "service_area", TAX_REGION,
                                                     code, _region_name(code))]}
                          for i, code in enumerate(s.area_codes)],
        "service_at_locations": [{"id": derived_id(s.id, "at", str(i)), "service_id": s.id, "location_id": loc}
                                 for i, loc in enumerate(s.location_ids)],
        "languages": [{"id": derived_id(s.id, "language", code), "service_id": s.id, "code": code}
                      for code in s.languages],
        "phones": [_phone(p, "service_id", s.id) for p in s.phones],
        "contacts": [_contact(c, "service_id", s.id) for c in s.contacts],
        "attributes": [_attribute(s.id, "service", TAX_SERVICE_TYPE, s.service_type,
                                  SERVICE_TYPES.get(s.service_type, s.service_type))],
    }


def to_hsds(org: Organization) -> dict:
    return {
        "id": org.id, "name": org.name, "alternate_name": org.alternate_name, "description": org.description,
        "email": org.email, "website": org.website,
        "phones": [_phone(p, "organization_id", org.id) for p in org.phones],
        "contacts": [_contact(c, "organization_id", org.id) for c in org.contacts],
        "locations": [_location(loc, org.id) for loc in org.locations],
        "services": [_service(s, org.id) for s in org.services],
        "attributes": [_attribute(org.id, "organization", TAX_ORG_TYPE, org.org_type,
                                  ORGANIZATION_TYPES.get(org.org_type, org.org_type)),
                       _attribute(org.id, "organization", TAX_REGION, org.region_code, _region_name(org.region_code)),
                       *_example(org.id, "organization", org.is_example)],
    }


def page(orgs: list[Organization]) -> dict:
    """All organisations as one HSDS API page (the shape of ``GET /organizations``)."""
    return {"total_items": len(orgs), "total_pages": 1, "page_number": 1, "size": len(orgs), "first_page": True,
            "last_page": True, "empty": not orgs, "contents": [to_hsds(o) for o in orgs]}
