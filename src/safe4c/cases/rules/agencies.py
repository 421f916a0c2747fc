"""What an agency is: its type, its region and its code (docs/cases.md, "Agencies").

An agency is an organisation whose staff work cases. Its type uses the same codes and labels as the service
directory's organisation types (directory/rules/types.py), so an agency and its directory entry speak one
vocabulary; its region is a Kemendagri province ("32") or regency ("32.73") code, or "ID" for a national body.
The codes are storage keys: never rename one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from safe4c.directory.rules.types import NATIONAL, ORGANIZATION_TYPES, covers
from safe4c.kernel import regions
from safe4c.kernel.errors import FieldError
from safe4c.kernel.i18n import N_

# The eight kinds of agency, in the order staff pick them; labels are the directory's (already translated).
AGENCY_TYPES: dict[str, str] = {code: ORGANIZATION_TYPES[code] for code in (
    "uptd_ppa", "social_service", "health", "legal_aid", "police_unit", "psychosocial", "hotline", "ministry")}

CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")  # "uptd-ppa-32", "sapa-129"; fits String(32)
MAX_NAME = 200


@dataclass(frozen=True)
class AgencyInput:
    """An agency as typed (CLI or form), checked by ``check``; ``region_code`` comes back normalised."""

    code: str
    name: str
    agency_type: str
    region_code: str
    is_example: bool = False


def normalise_region(code: str | None) -> str:
    """ "id" and "ID" are national; "3273" is the regency "32.73"."""
    code = (code or "").strip()
    return NATIONAL if code.upper() == NATIONAL else regions.normalise_code(code)


def region_valid(code: str) -> bool:
    """A national body, or a province or regency that Kemendagri's list knows."""
    return code == NATIONAL or regions.get(code) is not None and regions.normalise_code(code) == code


def check(agency: AgencyInput) -> tuple[AgencyInput, list[FieldError]]:
    """The agency with its fields trimmed and its region normalised, and one error per field to fix."""
    cleaned = AgencyInput(code=(agency.code or "").strip().lower(), name=" ".join((agency.name or "").split()),
                          agency_type=(agency.agency_type or "").strip(),
                          region_code=normalise_region(agency.region_code), is_example=bool(agency.is_example))
    errors: list[FieldError] = []
    if not CODE.match(cleaned.code):
        errors.append(FieldError("code", N_(
            "Use 1 to 32 characters for the code: lowercase letters, digits and dashes (e.g. uptd-ppa-32).")))
    if not cleaned.name:
        errors.append(FieldError("name", N_("Give the agency's name.")))
    elif len(cleaned.name) > MAX_NAME:
        errors.append(FieldError("name", N_("The name is too long (at most {max} characters)."), {"max": MAX_NAME}))
    if cleaned.agency_type not in AGENCY_TYPES:
        errors.append(FieldError("agency_type", N_("Choose one of the agency types: {types}."),
                                 {"types": ", ".join(AGENCY_TYPES)}))
    if not region_valid(cleaned.region_code):
        errors.append(FieldError("region_code", N_(
            "Give a Kemendagri province code (e.g. 32), a regency or city code (e.g. 32.73), or ID for a "
            "national agency.")))
    return cleaned, errors


def names_match(a: str, b: str) -> bool:
    """Two names of one organisation: equal but for case and spacing."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def directory_region_fits(agency_region: str, organization_region: str) -> bool:
    """An agency and a directory organisation can be the same body when the agency's region covers the
    organisation's (the directory's own ``covers``); a national agency matches its organisation wherever the
    head office is (KemenPPPA's is in Jakarta, "31.71")."""
    return covers(agency_region, organization_region)


def region_label(code: str) -> str:
    """A region's name for display; "ID" is the whole country (the template translates it)."""
    return N_("National") if code == NATIONAL else (regions.name_of(code) or code)
