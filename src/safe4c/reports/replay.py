"""Replays of a public submission: the same ``Idempotency-Key`` (API) or one-time form id (portal) returns the same
receipt, with the same follow-up code, for ``REPLAY_HOURS`` after the report was received.

A reporter whose answer was lost (a slow network, a second tap on "send", a client that retries) must see her
code, and the report must be stored once. The code is still never stored in clear:

- the key is stored only as a keyed hash (``reports.submission_key``, HMAC under the follow-up key);
- the code is sealed (AES-256-GCM) under HKDF(master secret, "followup-replay:" + scope + ":" + key), with the
  report's digest as associated data: only a request carrying the same key *and* the same report opens it, and
  nothing in the database alone does;
- the worker clears sealed codes once replays are no longer honoured (``forget_expired``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update

from safe4c.kernel.crypto import derive_key
from safe4c.db.tables import Report
from safe4c.reports.rules.report import ReportCreate
from safe4c.kernel.i18n import N_
from safe4c.kernel.errors import FieldError, Invalid
from safe4c.kernel.uow import Context, UnitOfWork

REPLAY_HOURS = 24
_VERSION = b"\x01"
# Each channel's keys live apart: the form's ids were hashed as "form:<id>" before replays existed.
SCOPES = {"api": "api", "web": "form"}


class KeyReused(Invalid):
    """The key was used for another report, or so long ago that its receipt is gone: nothing is stored."""

    def __init__(self, message: str, *, field: str = "Idempotency-Key"):
        super().__init__([FieldError(field, message)])


DIFFERENT = N_("This Idempotency-Key was already used for a different report. Use a new key for a new report.")
EXPIRED = N_("A report with this Idempotency-Key was received more than 24 hours ago, so its receipt can no longer be "
             "shown. It is stored: do not send it again. Use a new key only for a new report.")


@dataclass(frozen=True)
class Submission:
    """A keyed submission: what intake stores for it, and how a repeat of it is recognised."""

    ctx: Context
    scope: str
    key: str
    digest: bytes  # of the report as parsed, so spacing and field order do not matter

    @classmethod
    def of(cls, ctx: Context, *, channel: str, key: str, report: ReportCreate) -> "Submission":
        return cls(ctx, SCOPES[channel], key, hashlib.sha256(report.model_dump_json().encode()).digest())

    @property
    def key_hash(self) -> str:
        return hmac.new(self.ctx.followup_key, f"{self.scope}:{self.key}".encode(), hashlib.sha256).hexdigest()

    def _aead(self) -> AESGCM:
        return AESGCM(derive_key(self.ctx.settings.resolved_secret, f"followup-replay:{self.scope}:{self.key}"))

    def seal(self, code: str) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead().encrypt(nonce, code.encode(), self.digest)

    def open(self, sealed: bytes) -> str | None:
        """The code, or None when this is another report (or another key: the row was found by its hash)."""
        if sealed[:1] != _VERSION:
            return None
        try:
            return self._aead().decrypt(sealed[1:13], sealed[13:], self.digest).decode()
        except InvalidTag:
            return None


@dataclass(frozen=True)
class Replayed:
    report_id: str
    followup_code: str
    priority: str | None
    situations: tuple[str, ...]
    received_at: object


def find(uow: UnitOfWork, submission: Submission) -> Replayed | None:
    """The first receipt for this submission; None when no report has its key. Raises ``KeyReused``."""
    row = uow.session.execute(
        select(Report.public_id, Report.followup_sealed, Report.priority, Report.situations, Report.received_at)
        .where(Report.submission_key == submission.key_hash)
    ).first()
    uow.rollback()
    if row is None:
        return None
    if row.followup_sealed is None or row.received_at < uow.now() - timedelta(hours=REPLAY_HOURS):
        raise KeyReused(EXPIRED)
    code = submission.open(row.followup_sealed)
    if code is None:
        raise KeyReused(DIFFERENT)
    return Replayed(row.public_id, code, row.priority, tuple(row.situations), row.received_at)


def forget_expired(*, uow: UnitOfWork) -> int:
    """Clear the sealed codes whose replays are no longer honoured (the worker runs it every few minutes)."""
    cleared = uow.session.execute(
        update(Report).where(Report.followup_sealed.is_not(None),
                             Report.received_at < uow.now() - timedelta(hours=REPLAY_HOURS))
        .values(followup_sealed=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    uow.commit()
    return cleared
