"""How staff may name a report: its whole public id, or the first characters of it that every staff page shows
(8, e.g. ``3f2a9c1e``). Plain text in, a normalised reference out; finding the report is reports/refs.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from safe4c.kernel.i18n import N_

SHORT_LENGTH = 8  # what the pages show: ``public_id[:8]``
FULL_LENGTH = 36  # a UUID written out
_FULL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PREFIX = re.compile(r"[0-9a-f][0-9a-f-]*")

NOT_A_REF = N_("Give the report id as the report page shows it: its first {length} characters (e.g. 3f2a9c1e) "
               "or the whole id.")
UNKNOWN = N_("There is no report with this id.")
AMBIGUOUS = N_("More than one report starts with {ref}. Give more of the id, or the whole id from the report "
               "page.")


@dataclass(frozen=True)
class ReportRef:
    text: str  # lower case, no spaces
    whole: bool  # the whole public id (else a prefix of one)


def parse_report_ref(text: str) -> ReportRef | None:
    """The reference in ``text``, or None when it cannot name a report (too short, not hexadecimal, too long)."""
    value = (text or "").strip().lower()
    if _FULL.fullmatch(value):
        return ReportRef(value, whole=True)
    if SHORT_LENGTH <= len(value) < FULL_LENGTH and _PREFIX.fullmatch(value):
        return ReportRef(value, whole=False)
    return None
