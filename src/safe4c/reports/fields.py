"""A report's sealed fields besides the story and the contact: the accounts it names and the "other" app.

What a reporter types about the other person (usernames, phone numbers, e-mails, links) and the free-text
name of an app are personal data: they are stored sealed (AES-256-GCM, the column bound in), and opened only
by the code that needs them (linking, matching, the evidence package) or for a staff member whose view of the
report is audited. Whether a report names accounts at all is known without opening anything: an empty list is
stored as NULL.
"""

from __future__ import annotations

import json

from safe4c.kernel.crypto import Sealer
from safe4c.db.tables import Report

ACCOUNTS = "report.accounts"
PLATFORM_OTHER = "report.platform_other"


def seal_accounts(sealer: Sealer, accounts) -> bytes | None:
    values = list(accounts or ())
    return sealer.seal(json.dumps(values, ensure_ascii=False), context=ACCOUNTS) if values else None


def open_accounts(sealer: Sealer, sealed: bytes | None) -> list[str]:
    return list(json.loads(sealer.open(sealed, context=ACCOUNTS))) if sealed is not None else []


def accounts(sealer: Sealer, row: Report) -> list[str]:
    return open_accounts(sealer, row.accounts_sealed)


def has_accounts(row: Report) -> bool:
    return row.accounts_sealed is not None


def seal_platform_other(sealer: Sealer, text: str | None) -> bytes | None:
    return sealer.seal(text, context=PLATFORM_OTHER) if text else None


def platform_other(sealer: Sealer, row: Report) -> str | None:
    return sealer.open(row.platform_other_sealed, context=PLATFORM_OTHER)
