"""Demo case management (`safe4c demo`, so `make run`): staff of two agencies in two regions, and cases in every
state, made through the real use cases of cases/ and workspace/ with the demo's clock (each step at its own
moment in the last twelve days), then the figures the issue asks for.

Staff (password: the demo's, `demo/reports.DEMO_PASSWORD`): a case worker and a supervisor at the example UPTD
PPA of Kota Bandung (32.73) and of Kota Kupang (53.71), a police liaison at the example PPA unit of Polda Jawa
Barat, a counsellor at the example psychosocial provider in Bandung and a legal-aid worker in Kupang (they answer
referrals), and a national officer. Everything is invented and benign; run after the agency seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from safe4c.access import accounts
from safe4c.access.rules.policy import Actor
from safe4c.cases import agencies, assignment, cases, consent, figures, referrals, statements, workflow
from safe4c.cases.referrals import ReferralInput
from safe4c.cases.rules.consent import ConsentInput
from safe4c.db.cases import Case, CaseStep
from safe4c.db.tables import Report, StaffUser
from safe4c.kernel.clock import FrozenClock
from safe4c.kernel.months import month_of
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report
from safe4c.workspace import decisions, queries

BANDUNG, KUPANG = "uptd-ppa-32-73", "uptd-ppa-53-71"
# username, display name, role, agency
STAFF = (("rina.bandung", "Rina Kartika (contoh)", "case_worker", BANDUNG),
         ("dewi.bandung", "Dewi Lestari (contoh)", "supervisor", BANDUNG),
         ("maria.kupang", "Maria Ndun (contoh)", "case_worker", KUPANG),
         ("yosef.kupang", "Yosef Lado (contoh)", "supervisor", KUPANG),
         ("agus.polda", "Agus Santoso (contoh)", "police_liaison", "ppa-polda-jabar"),
         ("sari.psikolog", "Sari Wulandari (contoh)", "case_worker", "psikososial-bandung"),
         ("ani.lbh", "Ani Bria (contoh)", "case_worker", "lbh-anak-kupang"),
         ("nasional", "Petugas Nasional (contoh)", "national_officer", None))
PROVIDER = {BANDUNG: ("psikososial-bandung", "psychosocial_support", "sari.psikolog"),
            KUPANG: ("lbh-anak-kupang", "legal_aid", "ani.lbh")}
WORKER = {BANDUNG: ("rina.bandung", "dewi.bandung"), KUPANG: ("maria.kupang", "yosef.kupang")}
REGENCY = {BANDUNG: ("32", "32.73"), KUPANG: ("53", "53.71")}
STORY = ("Seseorang yang dikenal lewat game online terus meminta foto dan mengancam akan menyebarkan percakapan "
         "kami kalau aku tidak menurut.")
STATEMENT = ("Anak bercerita bahwa ia berkenalan dengan seseorang di game online yang awalnya ramah, lalu meminta "
             "foto dan mengancam. Anak merasa takut, belum bercerita kepada orang tua, dan ingin akunnya aman.")

# The states, in the order of the workflow: (name, agency, how the case opens, days ago, hours to first contact)
PLAN = (("registered", BANDUNG, "walk_in", 0.15, None),
        ("first contact made, assessment due", KUPANG, "report", 1, 5),
        ("assessed", BANDUNG, "auto", 2, 2),
        ("planned", KUPANG, "report", 3, 30),
        ("referral sent", BANDUNG, "report", 4, 9),
        ("referral accepted", KUPANG, "auto", 5, 3),
        ("referral declined", BANDUNG, "hotline", 6, 1),
        ("second statement (with its reason)", KUPANG, "report", 6.5, 18),
        ("consent withdrawn", BANDUNG, "report", 7, 6),
        ("referral delivered", BANDUNG, "report", 8, 26),
        ("follow-up", KUPANG, "report", 9, 4),
        ("closure requested (and referred to police)", BANDUNG, "report", 10, 12),
        ("closed", KUPANG, "report", 12, 8))


@dataclass(frozen=True)
class DemoCases:
    cases: dict[str, str]  # state -> case public id
    staff: tuple[str, ...]


class _Demo:
    def __init__(self, uow_factory):
        self.template = uow_factory()
        with uow_factory() as uow:
            self.now = uow.now()
        self.factory = uow_factory

    def at(self, when: datetime):
        return self.template.fork(clock=FrozenClock(min(when, self.now)))

    def actor(self, username: str) -> Actor:
        with self.factory() as uow:
            row = uow.session.scalar(select(StaffUser).where(StaffUser.username == username))
            return Actor.staff(row.id, row.role, row.agency_id)

    def step(self, public_id: str, kind: str) -> int:
        with self.factory() as uow:
            case_id = uow.session.scalar(select(Case.id).where(Case.public_id == public_id))
            return uow.session.scalar(select(CaseStep.id).where(CaseStep.case_id == case_id, CaseStep.kind == kind,
                                                                CaseStep.status == "open").order_by(CaseStep.id))


def _open(demo: _Demo, agency: str, origin: str, t0: datetime, n: int, admin_id: int) -> str:
    worker = demo.actor(WORKER[agency][0])
    province, regency = REGENCY[agency]
    if origin in ("walk_in", "hotline"):
        with demo.at(t0) as uow:
            return cases.open_walk_in(uow=uow, actor=worker, origin=origin, priority="P2", age_band="13_15",
                                      gender="girl", region_code=regency, contact_method="whatsapp",
                                      contact_value=f"0812000{n:05d}")
    report = parse_report({"situations": ["sextortion", "grooming"], "story": STORY, "platforms": ["whatsapp"],
                           "when": "this_week", "province_code": province, "regency_code": regency,
                           "age_band": "13_15", "gender": "girl" if n % 3 else "boy", "reporter_role": "child",
                           "urgent_signals": ["threat_deadline"] if n % 2 else [], "contact_method": "whatsapp",
                           "contact_value": f"0813000{n:05d}", "consent_services": origin == "auto"})
    with demo.at(t0) as uow:
        receipt = intake.submit_report(uow=uow, report=report, channel="web", language="id")
    with demo.at(t0 + timedelta(minutes=40)) as uow:
        report_row = uow.session.scalar(select(Report).where(Report.public_id == receipt.report_id))
        if origin == "auto":  # what the worker's case.open job does (it finds this case and stops)
            cases.open_for_report_job(uow=uow, report_id=report_row.id)
        else:
            decisions.open_case(uow=uow, where=queries.scope(uow, report_public_id=receipt.report_id),
                                actor_id=admin_id, reason="Anak membutuhkan pendampingan; kasus dibuka untuk UPTD PPA.")
    with demo.factory() as uow:
        public_id = cases.case_for_report(uow, report_row.id).public_id
    # Nobody is assigned to a case opened from a report: the case worker takes one the worker opened on its own,
    # the supervisor assigns one an analyst opened.
    taker, assignee = (worker, "me") if origin == "auto" else (demo.actor(WORKER[agency][1]), str(worker.id))
    with demo.at(t0 + timedelta(minutes=45)) as uow:
        assignment.assign(uow=uow, actor=taker, case_public_id=public_id, assignee=assignee)
    return public_id


def _walk(demo: _Demo, state: str, agency: str, case: str, t0: datetime, contact_hours: float) -> None:
    """Take one case as far as its state, each step at its own moment."""
    worker, supervisor = (demo.actor(u) for u in WORKER[agency])
    provider_code, service, provider_user = PROVIDER[agency]
    provider = demo.actor(provider_user)
    t = t0 + timedelta(hours=contact_hours)
    with demo.at(t) as uow:
        workflow.complete_step(uow=uow, actor=worker, case_public_id=case, step_id=demo.step(case, "first_contact"),
                               note="Kontak pertama lewat WhatsApp; anak bersedia bertemu.")
    with demo.at(t + timedelta(minutes=30)) as uow:
        police = "police" in state
        consent.record_consent(uow=uow, actor=worker, case_public_id=case, given=ConsentInput(
            child_assent=True, guardian_consent=True, services=True, share_statement=True, police=police,
            statistics=True, share_with=(f"type:{'psychosocial' if agency == BANDUNG else 'legal_aid'}",
                                         *(("type:police_unit",) if police else ()))))
    with demo.at(t + timedelta(hours=1)) as uow:
        statements.record_statement(uow=uow, actor=worker, case_public_id=case, body=STATEMENT, language="id")
    if state.startswith("second statement"):
        with demo.at(t + timedelta(hours=20)) as uow:
            statements.record_statement(
                uow=uow, actor=worker, case_public_id=case, language="id",
                body="Anak menambahkan bahwa ancaman juga datang lewat akun kedua.",
                reason="Pernyataan pertama terputus karena anak sakit; keterangan belum lengkap.")
    if state.startswith("consent withdrawn"):
        with demo.at(t + timedelta(hours=22)) as uow:
            consent.withdraw_consent(uow=uow, actor=worker, case_public_id=case,
                                     reason="Orang tua meminta data anak tidak dibagikan lagi.")
    if state.startswith("first contact"):
        return
    with demo.at(t + timedelta(hours=24)) as uow:
        workflow.complete_step(uow=uow, actor=worker, case_public_id=case, step_id=demo.step(case, "assessment"),
                               risks=["threats_or_extortion", "content_still_online"],
                               needs=["psychosocial", "legal_aid", "takedown"], safety="at_risk")
    if state in ("assessed", "consent withdrawn") or state.startswith("second statement"):
        return
    with demo.at(t + timedelta(hours=48)) as uow:
        workflow.complete_step(uow=uow, actor=worker, case_public_id=case, step_id=demo.step(case, "case_plan"),
                               needs=["psychosocial", "legal_aid"], note="Rencana: konseling dan bantuan hukum.")
    if state == "planned":
        return
    with demo.factory() as uow:
        to = agencies.get_by_code(uow=uow, code=provider_code).id
    with demo.at(t + timedelta(hours=50)) as uow:
        referral = referrals.send(uow=uow, actor=worker, case_public_id=case, data=ReferralInput(
            kind="services", to_agency_id=to, service_type=service, reason="Anak membutuhkan layanan lanjutan."))
    if state == "referral sent":
        return
    if state == "referral declined":
        with demo.at(t + timedelta(hours=60)) as uow:
            referrals.decline(uow=uow, actor=provider, referral_id=referral,
                              reason="Konselor penuh minggu ini; mohon rujuk ke layanan lain.")
        return
    with demo.at(t + timedelta(hours=60)) as uow:
        referrals.accept(uow=uow, actor=provider, referral_id=referral)
    if state == "referral accepted":
        return
    with demo.at(t + timedelta(hours=120)) as uow:
        referrals.deliver(uow=uow, actor=provider, referral_id=referral, services=[service])
    if state == "referral delivered":
        return
    with demo.at(t + timedelta(hours=150)) as uow:
        workflow.complete_step(uow=uow, actor=worker, case_public_id=case, step_id=demo.step(case, "follow_up"),
                               note="Anak merasa lebih aman; konten sudah diturunkan.")
    if state == "follow-up":
        return
    if "police" in state:
        with demo.factory() as uow:
            unit = agencies.get_by_code(uow=uow, code="ppa-polda-jabar").id
        with demo.at(t + timedelta(hours=160)) as uow:
            to_police = referrals.send(uow=uow, actor=worker, case_public_id=case, data=ReferralInput(
                kind="police", to_agency_id=unit, reason="Pelaku masih menghubungi anak; perlu perlindungan."))
        with demo.at(t + timedelta(hours=170)) as uow:
            referrals.accept(uow=uow, actor=demo.actor("agus.polda"), referral_id=to_police)
    with demo.at(t + timedelta(hours=200)) as uow:
        workflow.request_closure(uow=uow, actor=worker, case_public_id=case,
                                 note="Layanan selesai dan anak aman; keluarga setuju kasus ditutup.")
    if state.startswith("closure requested"):
        return
    with demo.at(t + timedelta(hours=210)) as uow:
        workflow.decide_closure(uow=uow, actor=supervisor, case_public_id=case, approve=True)


def load_demo_cases(*, uow_factory, password: str, admin_id: int) -> DemoCases | None:
    """Staff and cases in every state, once (None when the demo's case staff already exist)."""
    with uow_factory() as uow:
        if uow.session.scalar(select(StaffUser.id).where(StaffUser.username == STAFF[0][0])):
            return None
    for username, name, role, agency in STAFF:
        with uow_factory() as uow:
            accounts.create_user(uow=uow, username=username, password=password, role=role, display_name=name,
                                 agency_code=agency)
    demo = _Demo(uow_factory)
    made = {}
    for n, (state, agency, origin, days, contact_hours) in enumerate(PLAN, start=1):
        t0 = demo.now - timedelta(days=days)
        case = _open(demo, agency, origin, t0, n, admin_id)
        if contact_hours is not None:
            _walk(demo, state, agency, case, t0 + timedelta(minutes=40), contact_hours)
        made[state] = case
    return DemoCases(made, tuple(s[0] for s in STAFF))


def _shown(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.{1 if unit else 2}f}{unit}"


def demo_figures(*, uow_factory, public_ids: list[str]) -> list[str]:
    """Lines to print: statements per case and report-to-first-contact over the demo's months together, and each
    month's figures, all as cases/figures.py gives them (all agencies)."""
    with uow_factory() as uow:
        rows = uow.session.execute(select(Case.stage, Case.opened_at).where(Case.public_id.in_(public_ids))).all()
        found = sorted({month_of(uow.now())} | {month_of(r.opened_at) for r in rows})
        total = figures.total_over(uow=uow, first=found[0], last=found[-1])
        monthly = [figures.figures(uow=uow, month=m) for m in found]
    lines = [f"demo cases: {len(rows)} ({', '.join(sorted({r.stage for r in rows}))})",
             f"  statements per case: {_shown(total.statements_per_case)} ({total.statements} statements in "
             f"{total.cases_with_statement} cases with one; {total.cases_with_more_statements} case with a second)",
             f"  report to first contact: median {_shown(total.first_contact_median_hours, ' h')} over "
             f"{total.first_contact_cases} cases from a report; contacted within their priority's deadline: "
             f"{total.first_contact_within} of {total.first_contact_due} cases ({found[0]} to {found[-1]})"]
    for m in monthly:
        f = m.rows[-1]
        lines.append(f"  figures {m.month} (all agencies, `safe4c cases figures --month {m.month}`): "
                     f"{f.cases_opened} opened, {f.cases_closed} closed, report to first contact median "
                     f"{_shown(f.first_contact_median_hours, ' h')}, statements per case "
                     f"{_shown(f.statements_per_case)}, referrals {f.referrals_made} made / "
                     f"{f.referrals_accepted} accepted / {f.referrals_completed} completed")
    return lines
