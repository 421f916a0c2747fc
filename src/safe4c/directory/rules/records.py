"""The directory's records as plain values: what the HSDS reader produces, the tables store and the pages show.

One organisation carries everything under it (HSDS's "organization" with its services, locations, contacts and
phones), so an import replaces an organisation as a whole and an export writes it back in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phone:
    id: str
    number: str
    type: str = "voice"
    description: str = ""
    is_example: bool = False


@dataclass(frozen=True)
class Contact:
    id: str
    name: str = ""
    title: str = ""
    email: str = ""
    phones: tuple[Phone, ...] = ()
    is_example: bool = False


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    location_type: str = "physical"
    address: str = ""  # one line, as HSDS address_1
    region_code: str | None = None  # the Kemendagri province or regency it is in


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    service_type: str
    description: str = ""
    status: str = "active"
    eligibility_description: str = ""
    minimum_age: int | None = None
    maximum_age: int | None = None
    email: str = ""
    url: str = ""
    area_codes: tuple[str, ...] = ()  # Kemendagri codes, or NATIONAL
    location_ids: tuple[str, ...] = ()  # HSDS service_at_location: the locations it is delivered at
    languages: tuple[str, ...] = ()  # ISO 639 codes
    phones: tuple[Phone, ...] = ()
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Organization:
    id: str  # the HSDS id (a UUID); stable across imports and exports
    name: str
    org_type: str
    region_code: str  # the province or regency it belongs to (a ministry or a national hotline: its seat)
    description: str = ""
    alternate_name: str = ""
    email: str = ""
    website: str = ""
    is_example: bool = False  # not a real entry, or its real name/contacts are not public
    phones: tuple[Phone, ...] = ()
    contacts: tuple[Contact, ...] = ()
    locations: tuple[Location, ...] = ()
    services: tuple[Service, ...] = ()
