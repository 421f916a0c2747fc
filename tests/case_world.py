"""A small world for the referral tests (h10c): agencies in two regions, their staff, a report and a case
inserted the way db/cases.py defines the rows (cases/cases.py, h10b's use case, replaces this when merged).

The statement is sealed with the context cases/referral_views.py reads (``STATEMENT_CONTEXT``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from helpers import make_user
from sqlalchemy import select, update

from safe4c.db.cases import Agency, Case, CaseConsent, CaseStatement
from safe4c.db.tables import Report
from safe4c.access.rules.policy import Actor
from safe4c.cases.referral_views import STATEMENT_CONTEXT
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report

STORY = "Seseorang di gim daring meminta foto dan mengancam akan menyebarkannya."


@dataclass
class World:
    agencies: dict[str, int] = field(default_factory=dict)  # code -> id
    staff: dict[str, int] = field(default_factory=dict)  # username -> id
    roles: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # username -> (role, agency code)

    def actor(self, username: str) -> Actor:
        role, code = self.roles[username]
        return Actor.staff(self.staff[username], role, self.agencies.get(code) if code else None)


AGENCIES = (("uptd-ppa-32", "UPTD PPA Provinsi Jawa Barat (contoh)", "uptd_ppa", "32"),
            ("psy-31", "Layanan Psikososial Jakarta (contoh)", "psychosocial", "31"),
            ("polda-32", "Unit PPA Polda Jawa Barat (contoh)", "police_unit", "32"),
            ("uptd-ppa-33", "UPTD PPA Provinsi Jawa Tengah (contoh)", "uptd_ppa", "33"))
STAFF = (("pekerja_a", "case_worker", "uptd-ppa-32"), ("penyelia_a", "supervisor", "uptd-ppa-32"),
         ("pekerja_b", "case_worker", "psy-31"), ("penyelia_b", "supervisor", "psy-31"),
         ("polisi", "police_liaison", "polda-32"), ("pekerja_c", "case_worker", "uptd-ppa-33"),
         ("nasional", "national_officer", None), ("analis", "analyst", None), ("admin", "admin", None))


def build(uow_factory) -> World:
    world = World()
    with uow_factory() as uow:
        for code, name, kind, region in AGENCIES:
            row = Agency(code=code, name=name, agency_type=kind, region_code=region, is_example=True, active=True,
                         created_at=uow.now())
            uow.session.add(row)
            uow.session.flush()
            world.agencies[code] = row.id
        uow.commit()
    for username, role, code in STAFF:
        # case workers, supervisors and police liaisons are created with their agency (access/rules/staff.py)
        world.staff[username] = make_user(uow_factory, username, role, agency=code)
        world.roles[username] = (role, code)
    return world


def submit(uow_factory, *, contact: str = "phone") -> tuple[int, str, str]:
    """A child's report: (row id, public id, follow-up code)."""
    data = {"situations": ["sextortion"], "story": STORY, "consent_services": True, "contact_method": contact}
    if contact == "phone":
        data["contact_value"] = "0812-3456-7890"
    elif contact == "email":
        data["contact_value"] = "anak@example.com"
    elif contact == "whatsapp":
        data["contact_value"] = "0812-3456-7890"
    with uow_factory() as uow:
        receipt = intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id")
    with uow_factory() as uow:
        row_id = uow.session.scalar(select(Report.id).where(Report.public_id == receipt.report_id))
    return row_id, receipt.report_id, receipt.followup_code


def open_case(uow_factory, world: World, *, agency: str = "uptd-ppa-32", report_id: int | None = None,
              contact: str = "phone", assigned: str | None = "pekerja_a", consent: dict | None = None,
              statements: int = 1, opened_at: datetime | None = None, first_contact_after: timedelta | None = None,
              due_after: timedelta | None = timedelta(hours=24), closed_after: timedelta | None = None) -> str:
    """A case of ``agency`` with one consent record (``consent`` overrides its fields; None: no consent at all
    when given as {}), and ``statements`` statements."""
    with uow_factory() as uow:
        now = opened_at or uow.now()
        case = Case(public_id=str(uuid.uuid4()), report_id=report_id, agency_id=world.agencies[agency],
                    origin="report" if report_id else "walk_in", region_code="32.73", priority="P1",
                    stage="services", assigned_to=world.staff[assigned] if assigned else None,
                    opened_by=world.staff["pekerja_a"], opened_at=now,
                    first_contact_due_at=now + due_after if due_after else None,
                    first_contact_at=now + first_contact_after if first_contact_after is not None else None,
                    closed_at=now + closed_after if closed_after is not None else None,
                    child_age_band="13_15", child_gender="girl", contact_method=contact, updated_at=now)
        uow.session.add(case)
        uow.session.flush()
        if consent != {}:
            fields = dict(child_assent=True, guardian_consent=True, services=True, share_statement=False,
                          police=False, statistics=True, share_with=[], withheld=[], legal_basis="consent")
            fields.update(consent or {})
            uow.session.add(CaseConsent(case_id=case.id, recorded_by=world.staff["pekerja_a"], recorded_at=now,
                                        **fields))
        for n in range(1, statements + 1):
            uow.session.add(CaseStatement(
                public_id=str(uuid.uuid4()), case_id=case.id, number=n, language="id",
                body_sealed=uow.ctx.sealer.seal(STORY, context=STATEMENT_CONTEXT), taken_by=world.staff["pekerja_a"],
                taken_by_agency_id=world.agencies[agency], taken_at=now,
                reason_sealed=uow.ctx.sealer.seal("Keterangan tambahan untuk pengadilan.",
                                                  context="case.statement.reason") if n > 1 else None))
        uow.commit()
        return case.public_id


def withdraw_consent(uow_factory, world: World, case_public_id: str) -> None:
    with uow_factory() as uow:
        case_id = uow.session.scalar(select(Case.id).where(Case.public_id == case_public_id))
        uow.session.execute(update(CaseConsent).where(CaseConsent.case_id == case_id)
                            .values(withdrawn_at=uow.now(), withdrawn_by=world.staff["pekerja_a"]))
        uow.commit()
