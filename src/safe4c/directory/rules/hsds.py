"""Reading and writing the directory in Open Referral HSDS 3.0 JSON (a documented subset, docs/directory.md).

A file is a list of HSDS ``organization`` objects, or an HSDS page of them (``{"contents": [...]}``, as the
HSDS API's ``/organizations`` returns). Each organisation nests its ``services``, ``locations``, ``contacts`` and
``phones``; a service nests ``service_areas``, ``service_at_locations``, ``languages``, ``contacts`` and
``phones``. What HSDS has no field for is carried as ``attributes`` whose ``taxonomy_term`` comes from one of
the taxonomies below, as HSDS intends for local classifications.

``parse`` checks a whole file and returns every problem with its place (``contents[3].services[0].name``):
a use case saves nothing unless there are none. ``to_hsds`` writes an organisation back; reading what it wrote
gives the same organisation.
"""

from __future__ import annotations

import re
import uuid

from safe4c.directory.rules.records import Contact, Location, Organization, Phone, Service
from safe4c.directory.rules.types import (LOCATION_TYPES, NATIONAL, ORGANIZATION_TYPES, PHONE_TYPES,
                                          SERVICE_STATUSES, SERVICE_TYPES)
from safe4c.kernel import regions
from safe4c.kernel.errors import FieldError
from safe4c.kernel.i18n import N_

TAX_ORG_TYPE = "safe4c-organization-type"
TAX_SERVICE_TYPE = "safe4c-service-type"
TAX_REGION = "kemendagri-wilayah"  # a Kemendagri province or regency code (or "ID": the whole country)
TAX_EXAMPLE = "safe4c-example"  # code "example": not a real entry, or its real contacts are not public
ID_NAMESPACE = uuid.UUID("6f1f5b0e-8a7c-4c1e-9a51-5afe4c0d1e01")  # for ids safe4c derives (uuid5)
MAX_ORGANIZATIONS = 5000
TEXT_LIMIT = 500
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

HSDS_MESSAGES = {
    "shape": N_("Expected a list of HSDS organizations, or an HSDS page with \"contents\"."),
    "empty": N_("The file holds no organizations."),
    "too_many": N_("At most {limit} organizations in one file."),
    "object": N_("Expected an object."),
    "list": N_("Expected a list."),
    "required": N_("This field is required."),
    "text": N_("Expected text of at most {limit} characters."),
    "uuid": N_("Expected a UUID."),
    "duplicate": N_("This id appears more than once in the file."),
    "choice": N_("Unknown value {value}; expected one of: {allowed}."),
    "region": N_("{value} is not a Kemendagri province or regency code."),
    "one_attribute": N_("Expected exactly one attribute from the taxonomy {taxonomy}."),
    "age": N_("Expected a whole number of years from 0 to 120."),
    "ages": N_("The minimum age is above the maximum age."),
    "email": N_("Expected an email address."),
    "location": N_("No location of this organization has this id."),
}


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


class _Reader:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.seen: set[str] = set()

    def fail(self, path: str, key: str, **params) -> None:
        self.errors.append(FieldError(path, HSDS_MESSAGES[key], {k: str(v) for k, v in params.items()}))

    def items(self, obj: dict, name: str, path: str) -> list[tuple[str, dict]]:
        value = obj.get(name) or []
        if not isinstance(value, list):
            self.fail(f"{path}.{name}", "list")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append((f"{path}.{name}[{i}]", item))
            else:
                self.fail(f"{path}.{name}[{i}]", "object")
        return out

    def text(self, obj: dict, name: str, path: str, *, required: bool = False, limit: int = TEXT_LIMIT) -> str:
        value = obj.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(f"{path}.{name}", "required")
            return ""
        if not isinstance(value, str) or len(value) > limit:
            self.fail(f"{path}.{name}", "text", limit=limit)
            return ""
        return value.strip()

    def choice(self, obj: dict, name: str, path: str, allowed, default: str) -> str:
        value = self.text(obj, name, path) or default
        if value not in allowed:
            self.fail(f"{path}.{name}", "choice", value=value, allowed=", ".join(allowed))
        return value

    def email(self, obj: dict, name: str, path: str) -> str:
        value = self.text(obj, name, path, limit=254)
        if value and not EMAIL.match(value):
            self.fail(f"{path}.{name}", "email")
        return value

    def ident(self, obj: dict, path: str, *fallback: str) -> str:
        """The object's id: a UUID, unique in the file; derived from its place when absent and ``fallback``
        says how (contacts, phones, areas: HSDS requires ids, but partners often leave them out)."""
        value = obj.get("id")
        if value is None and fallback:
            value = derived_id(*fallback)
        try:
            value = str(uuid.UUID(str(value)))
        except ValueError:
            self.fail(f"{path}.id", "required" if value is None else "uuid")
            return ""
        if value in self.seen:
            self.fail(f"{path}.id", "duplicate")
        self.seen.add(value)
        return value

    def age(self, obj: dict, name: str, path: str) -> int | None:
        value = obj.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
                or not 0 <= value <= 120:
            self.fail(f"{path}.{name}", "age")
            return None
        return int(value)

    def attributes(self, obj: dict, path: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for place, attr in self.items(obj, "attributes", path):
            term = attr.get("taxonomy_term")
            if not isinstance(term, dict):
                self.fail(f"{place}.taxonomy_term", "object")
                continue
            taxonomy, code = term.get("taxonomy"), term.get("code")
            if isinstance(taxonomy, str) and isinstance(code, str):
                found.setdefault(taxonomy, []).append(code.strip())
        return found

    def one(self, attrs: dict[str, list[str]], taxonomy: str, path: str, allowed) -> str:
        codes = attrs.get(taxonomy, [])
        if len(codes) != 1:
            self.fail(f"{path}.attributes", "one_attribute", taxonomy=taxonomy)
            return ""
        if codes[0] not in allowed:
            self.fail(f"{path}.attributes", "choice", value=codes[0], allowed=", ".join(allowed))
        return codes[0]

    def region(self, code: str, path: str, *, national: bool = False) -> str:
        code = regions.normalise_code(code)
        if (national and code == NATIONAL) or regions.get(code) is not None:
            return code
        self.fail(path, "region", value=code)
        return code

    # --- the objects ---------------------------------------------------------------------------------------

    def phone(self, obj: dict, path: str, owner: str, i: int) -> Phone:
        return Phone(id=self.ident(obj, path, owner, "phone", str(i)),
                     number=self.text(obj, "number", path, required=True, limit=40),
                     type=self.choice(obj, "type", path, PHONE_TYPES, "voice"),
                     description=self.text(obj, "description", path),
                     is_example=TAX_EXAMPLE in self.attributes(obj, path))

    def phones(self, obj: dict, path: str, owner: str) -> tuple[Phone, ...]:
        return tuple(self.phone(p, place, owner, i) for i, (place, p) in enumerate(self.items(obj, "phones", path)))

    def contacts(self, obj: dict, path: str, owner: str) -> tuple[Contact, ...]:
        out = []
        for i, (place, c) in enumerate(self.items(obj, "contacts", path)):
            cid = self.ident(c, place, owner, "contact", str(i))
            out.append(Contact(id=cid, name=self.text(c, "name", place), title=self.text(c, "title", place),
                               email=self.email(c, "email", place), phones=self.phones(c, place, cid),
                               is_example=TAX_EXAMPLE in self.attributes(c, place)))
        return tuple(out)

    def location(self, obj: dict, path: str) -> Location:
        attrs = self.attributes(obj, path)
        codes = attrs.get(TAX_REGION, [])
        addresses = self.items(obj, "addresses", path)
        address = self.text(addresses[0][1], "address_1", addresses[0][0]) if addresses else ""
        return Location(id=self.ident(obj, path), name=self.text(obj, "name", path, required=True),
                        location_type=self.choice(obj, "location_type", path, LOCATION_TYPES, "physical"),
                        address=address,
                        region_code=self.region(codes[0], f"{path}.attributes") if codes else None)

    def service(self, obj: dict, path: str, location_ids: set[str]) -> Service:
        sid = self.ident(obj, path)
        areas = []
        for i, (place, area) in enumerate(self.items(obj, "service_areas", path)):
            self.ident(area, place, sid, "area", str(i))
            areas.append(self.region(self.one(self.attributes(area, place), TAX_REGION, place, _Any()),
                                     f"{place}.attributes", national=True))
        at = []
        for i, (place, link) in enumerate(self.items(obj, "service_at_locations", path)):
            self.ident(link, place, sid, "at", str(i))
            target = link.get("location_id") or (link.get("location") or {}).get("id")
            if target not in location_ids:
                self.fail(f"{place}.location_id", "location")
            else:
                at.append(target)
        langs = tuple(self.text(lang, "code", place, required=True, limit=8).lower()
                      for place, lang in self.items(obj, "languages", path))
        minimum, maximum = self.age(obj, "minimum_age", path), self.age(obj, "maximum_age", path)
        if minimum is not None and maximum is not None and minimum > maximum:
            self.fail(f"{path}.minimum_age", "ages")
        return Service(
            id=sid, name=self.text(obj, "name", path, required=True),
            service_type=self.one(self.attributes(obj, path), TAX_SERVICE_TYPE, path, SERVICE_TYPES),
            description=self.text(obj, "description", path, limit=2000),
            status=self.choice(obj, "status", path, SERVICE_STATUSES, "active"),
            eligibility_description=self.text(obj, "eligibility_description", path, limit=2000),
            minimum_age=minimum, maximum_age=maximum, email=self.email(obj, "email", path),
            url=self.text(obj, "url", path), area_codes=tuple(areas), location_ids=tuple(at), languages=langs,
            phones=self.phones(obj, path, sid), contacts=self.contacts(obj, path, sid))

    def organization(self, obj: dict, path: str) -> Organization:
        oid = self.ident(obj, path)
        attrs = self.attributes(obj, path)
        locations = tuple(self.location(loc, place) for place, loc in self.items(obj, "locations", path))
        ids = {loc.id for loc in locations}
        return Organization(
            id=oid, name=self.text(obj, "name", path, required=True),
            org_type=self.one(attrs, TAX_ORG_TYPE, path, ORGANIZATION_TYPES),
            region_code=self.region(self.one(attrs, TAX_REGION, path, _Any()), f"{path}.attributes"),
            description=self.text(obj, "description", path, limit=2000),
            alternate_name=self.text(obj, "alternate_name", path), email=self.email(obj, "email", path),
            website=self.text(obj, "website", path), is_example=TAX_EXAMPLE in attrs,
            phones=self.phones(obj, path, oid), contacts=self.contacts(obj, path, oid), locations=locations,
            services=tuple(self.service(s, place, ids) for place, s in self.items(obj, "services", path)))


class _Any:
    def __contains__(self, _value) -> bool:
        return True


def parse(document: object) -> tuple[list[Organization], list[FieldError]]:
    """Every organisation in an HSDS document, and every problem found (none: safe to save)."""
    reader = _Reader()
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        document = document["contents"]
    if not isinstance(document, list):
        reader.fail("file", "shape")
        return [], reader.errors
    if not document:
        reader.fail("file", "empty")
    if len(document) > MAX_ORGANIZATIONS:
        reader.fail("file", "too_many", limit=MAX_ORGANIZATIONS)
        return [], reader.errors
    out = []
    for i, obj in enumerate(document):
        if isinstance(obj, dict):
            out.append(reader.organization(obj, f"contents[{i}]"))
        else:
            reader.fail(f"contents[{i}]", "object")
    return out, reader.errors
