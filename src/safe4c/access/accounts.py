"""Staff accounts and sessions: argon2 passwords, random session tokens stored only as SHA-256.

What a role may do is the policy's table (access/policy.py). Logins, failed logins and
logouts go to the audit log; a failed login records only a keyed hash of the name that was tried
(so repeated attempts against one account show up) and never the password. Sign-in tries are throttled
per account, address and device (services/login_throttle.py); an administrator lifts an account's lock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from safe4c.access.rules import policy, staff as staff_rules
from safe4c.kernel.crypto import derive_key
from safe4c.db.cases import Agency
from safe4c.db.tables import StaffSession
from safe4c.db.tables import StaffUser as StaffUserRow
from safe4c.kernel.i18n import N_
from safe4c.kernel.errors import FieldError, Invalid, NotFound
from safe4c.kernel import audit
from safe4c.access import login_throttle
from safe4c.kernel.uow import UnitOfWork

# What each role may do is the one policy's table (access/policy.py); roles do not nest.
ROLES = policy.ROLES
ROLE_LABELS = {"regulator": N_("Regulator"), "analyst": N_("Analyst"), "admin": N_("Administrator"),
               "case_worker": N_("Case worker"), "supervisor": N_("Supervisor"),
               "police_liaison": N_("Police liaison"), "national_officer": N_("National officer")}

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 accepts more, but a megabyte "password" is only a way to burn CPU
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Don't refresh a session's expiry on every request: one write a minute per user is enough.
SLIDE_EVERY = timedelta(minutes=1)

_hasher = PasswordHasher()


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    role: str
    active: bool = True
    created_at: datetime | None = None
    agency_id: int | None = None  # case workers, supervisors, police liaisons: the agency they work for
    agency_region: str | None = None  # that agency's region ("ID", a province or a regency code)


_USER_COLUMNS = (StaffUserRow.id, StaffUserRow.username, StaffUserRow.display_name, StaffUserRow.role,
                 StaffUserRow.active, StaffUserRow.created_at, StaffUserRow.agency_id)


def _public(row, region: str | None = None) -> StaffUser:
    return StaffUser(row.id, row.username, row.display_name, row.role, row.active, row.created_at, row.agency_id,
                     region)


def _agency_region(uow: UnitOfWork, agency_id: int | None) -> str | None:
    return None if agency_id is None else uow.session.scalar(select(Agency.region_code)
                                                             .where(Agency.id == agency_id))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Unknown users are checked against this so a wrong name costs as long as a wrong password.
    return _hasher.hash(secrets.token_urlsafe(16))


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _name_hash(uow: UnitOfWork, username: str) -> str:
    key = derive_key(uow.settings.resolved_secret, "audit-username")
    return hmac.new(key, username.encode(), hashlib.sha256).hexdigest()[:16]


def create_user(*, uow: UnitOfWork, username: str, password: str, role: str, display_name: str = "",
                actor_id: int | None = None, agency_code: str | None = None) -> int:
    """Add a staff account; raises ``Invalid`` with one error per field that needs fixing. Case workers,
    supervisors and police liaisons work for an agency, given by its code (access/rules/staff.py)."""
    username = normalise_username(username)
    display_name = (display_name or "").strip() or username
    errors: list[FieldError] = []
    if not USERNAME.match(username):
        errors.append(FieldError("username", N_(
            "Use 3 to 64 characters: lowercase letters, digits, dots, dashes or underscores.")))
    if len(password or "") < MIN_PASSWORD:
        errors.append(FieldError("password", N_("The password must have at least {min} characters."),
                                 {"min": MIN_PASSWORD}))
    elif len(password) > MAX_PASSWORD:
        errors.append(FieldError("password", N_("The password is too long (at most {max} characters)."),
                                 {"max": MAX_PASSWORD}))
    if role not in ROLES:
        errors.append(FieldError("role", N_("Choose one of the roles: {roles}."), {"roles": ", ".join(ROLES)}))
    if len(display_name) > 120:
        errors.append(FieldError("display_name", N_("The name is too long (at most {max} characters)."),
                                 {"max": 120}))
    agency = _agency_for(uow, role, agency_code, errors)
    taken = N_("This username is already taken.")
    if not errors and uow.session.scalar(select(StaffUserRow.id).where(StaffUserRow.username == username)):
        errors.append(FieldError("username", taken))
    if errors:
        raise Invalid(errors)
    row = StaffUserRow(username=username, display_name=display_name, password_hash=_hasher.hash(password),
                       role=role, active=True, created_at=uow.now(), agency_id=agency.id if agency else None)
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:  # two admins picked the same name at the same moment
        uow.rollback()
        raise Invalid([FieldError("username", taken)]) from None
    audit.record(uow, actor_id=actor_id, action="user.create", subject_type="staff_user", subject_id=row.id,
                 detail={"role": role, "agency": agency.code if agency else None})
    uow.commit()
    return row.id


def _agency_for(uow: UnitOfWork, role: str, code: str | None, errors: list[FieldError]) -> Agency | None:
    """The active agency of this code, or None; what is wrong with it goes into ``errors``."""
    code = (code or "").strip().lower()
    if not code:
        if staff_rules.needs_agency(role):
            errors.append(FieldError("agency", N_(
                "A case worker, supervisor or police liaison works for an agency: give the agency's code "
                "(safe4c agency list shows them).")))
        return None
    agency = uow.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None or not agency.active:
        errors.append(FieldError("agency", N_("There is no active agency with the code {code}."), {"code": code}))
        return None
    if role in ROLES and not staff_rules.fits_agency(role, agency.agency_type):
        errors.append(FieldError("agency", N_("A police liaison works for a police unit: give a police unit's code.")))
        return None
    return agency


def list_users(*, uow: UnitOfWork) -> list[StaffUser]:
    rows = uow.session.scalars(select(StaffUserRow).order_by(StaffUserRow.username))
    return [_public(r) for r in rows]


def authenticate(*, uow: UnitOfWork, username: str, password: str, address: str | None = None,
                 devices: Sequence[str] = ()) -> StaffUser | None:
    """The user when name and password match an active account, else None (and it takes as long).

    Throttled (services/login_throttle.py): ``SignInWait`` or ``AccountLocked`` is raised, and the password not
    checked, when this account, the client's ``address`` or the device (its cookie's ``devices`` tokens) has
    failed too often. The try is charged before the password is checked and settled after, in two transactions:
    no write lock is held while argon2 works.
    """
    name = normalise_username(username)
    attempt = login_throttle.begin(uow=uow, name=name, address=address, devices=devices)
    row = uow.session.execute(select(*_USER_COLUMNS, StaffUserRow.password_hash)
                              .where(StaffUserRow.username == name)).first() if name else None
    uow.rollback()
    password = password or ""
    too_long = len(password) > MAX_PASSWORD  # no account has one; still spend the same time saying no
    try:
        ok = _hasher.verify(_dummy_hash() if row is None or too_long else row.password_hash,
                            password[:MAX_PASSWORD]) and not too_long
    except (VerificationError, InvalidHashError):
        ok = False
    if row is None or not row.active or not ok:
        audit.record(uow, actor_id=None, action="auth.login_failed", subject_type="staff_user",
                     detail={"name_hash": _name_hash(uow, name)})
        if attempt.locks:
            audit.record(uow, actor_id=None, action="auth.locked", subject_type="staff_user",
                         subject_id=row.id if row else None, detail={"name_hash": _name_hash(uow, name)})
        uow.commit()
        return None
    login_throttle.succeeded(uow, attempt)
    if _hasher.check_needs_rehash(row.password_hash):
        uow.session.execute(update(StaffUserRow).where(StaffUserRow.id == row.id)
                            .values(password_hash=_hasher.hash(password)))
    audit.record(uow, actor_id=row.id, action="auth.login", subject_type="staff_user", subject_id=row.id)
    uow.commit()
    return _public(row, _agency_region(uow, row.agency_id))


def locked_users(*, uow: UnitOfWork) -> dict[str, datetime]:
    """Usernames locked for unrecognised devices after failed sign-ins, with the time of the lock."""
    return login_throttle.locked_since(uow, list(uow.session.scalars(select(StaffUserRow.username))))


def unlock_user(*, uow: UnitOfWork, username: str, actor_id: int | None = None) -> bool:
    """An administrator lifts a sign-in lock (and the account's failures are forgotten); True if it was locked."""
    name = normalise_username(username)
    user_id = uow.session.scalar(select(StaffUserRow.id).where(StaffUserRow.username == name)) if name else None
    if user_id is None:
        raise NotFound(N_("There is no staff account with this name."))
    was_locked = login_throttle.unlock(uow, name)
    audit.record(uow, actor_id=actor_id, action="user.unlock", subject_type="staff_user", subject_id=user_id,
                 detail={"was_locked": was_locked})
    uow.commit()
    return was_locked


def start_session(*, uow: UnitOfWork, user_id: int) -> str:
    """A new random session token (256 bits); only its SHA-256 is stored."""
    now = uow.now()
    token = secrets.token_urlsafe(32)
    # Housekeeping: this user's expired sessions go when a new one starts.
    uow.session.execute(delete(StaffSession).where(StaffSession.user_id == user_id, StaffSession.expires_at < now))
    uow.session.add(StaffSession(token_hash=_token_hash(token), user_id=user_id, created_at=now, last_seen_at=now,
                                 expires_at=now + timedelta(hours=uow.settings.session_hours)))
    uow.commit()
    return token


def session_user(*, uow: UnitOfWork, token: str | None) -> StaffUser | None:
    """The signed-in user for a session token, sliding its expiry; None when unknown, expired or disabled."""
    if not token or len(token) > 200:
        return None
    # One query per request: the session, its member and their agency's region.
    found = uow.session.execute(
        select(StaffSession, StaffUserRow, Agency.region_code)
        .join(StaffUserRow, StaffUserRow.id == StaffSession.user_id)
        .outerjoin(Agency, Agency.id == StaffUserRow.agency_id)
        .where(StaffSession.token_hash == _token_hash(token))
    ).first()
    if found is None:
        return None
    sess, user, region = found
    now = uow.now()
    if sess.expires_at <= now or not user.active:
        uow.session.delete(sess)
        uow.commit()
        return None
    if now - sess.last_seen_at >= SLIDE_EVERY:
        sess.last_seen_at = now
        sess.expires_at = now + timedelta(hours=uow.settings.session_hours)
        uow.commit()
    return _public(user, region)


def end_session(*, uow: UnitOfWork, token: str | None) -> None:
    """Sign out: the session row goes, and the logout is audited. Unknown tokens are ignored."""
    if not token:
        return
    sess = uow.session.get(StaffSession, _token_hash(token))
    if sess is None:
        return
    user_id = sess.user_id
    uow.session.delete(sess)
    audit.record(uow, actor_id=user_id, action="auth.logout", subject_type="staff_user", subject_id=user_id)
    uow.commit()
