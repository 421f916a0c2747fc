"""What kinds of organisation and service the directory knows, with their labels (English msgids).

The codes are storage keys and appear in HSDS exports (as taxonomy-term codes): never rename one.
"""

from __future__ import annotations

from safe4c.kernel.i18n import N_

ORGANIZATION_TYPES: dict[str, str] = {
    "ministry": N_("Ministry"),
    "uptd_ppa": N_("UPTD PPA (regional unit for the protection of women and children)"),
    "social_service": N_("Social service"),
    "health": N_("Health service"),
    "legal_aid": N_("Legal aid"),
    "police_unit": N_("Police unit"),
    "psychosocial": N_("Psychosocial provider"),
    "hotline": N_("Hotline"),
}

# The six services of a UPTD PPA (Permen PPPA 4/2018), then what other providers add.
UPTD_PPA_SERVICES: tuple[str, ...] = ("complaints", "outreach", "case_management", "temporary_shelter",
                                      "mediation", "accompaniment")
SERVICE_TYPES: dict[str, str] = {
    "complaints": N_("Complaints (receiving reports)"),
    "outreach": N_("Outreach to victims"),
    "case_management": N_("Case management"),
    "temporary_shelter": N_("Temporary shelter"),
    "mediation": N_("Mediation"),
    "accompaniment": N_("Accompaniment of victims"),
    "psychosocial_support": N_("Psychosocial support"),
    "legal_aid": N_("Legal aid"),
    "medical_care": N_("Medical care"),
    "police_protection": N_("Police report and protection"),
}

SERVICE_STATUSES: dict[str, str] = {  # HSDS 3.0
    "active": N_("Active"), "inactive": N_("Inactive"), "defunct": N_("Closed for good"),
    "temporarily closed": N_("Temporarily closed"),
}
LOCATION_TYPES: tuple[str, ...] = ("physical", "postal", "virtual")  # HSDS 3.0
PHONE_TYPES: tuple[str, ...] = ("voice", "text", "fax", "cell", "video", "pager", "textphone")  # RFC 6350

# A service area is a Kemendagri province or regency code, or this code for the whole country.
NATIONAL = "ID"


def covers(area_code: str, regency_code: str) -> bool:
    """Does a service area (a province, a regency, or the whole country) include this regency?"""
    return area_code == NATIONAL or area_code == regency_code or regency_code.startswith(area_code + ".")
