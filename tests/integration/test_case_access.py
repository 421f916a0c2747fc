"""Adversarial access to a case over HTTP (docs/cases.md "Access"), on SQLite and PostgreSQL.

Agency A (uptd-ppa-32) leads a case with a statement and a note, referred for services to agency B (psy-31)
and to a police unit; agency C (uptd-ppa-33) has nothing to do with it. C's worker guesses every id and tries
every route and list; a withdrawn referral or consent cuts B off at once; an analyst, an administrator and a
regulator never see the statement or the notes; a national officer sees aggregates only."""

from __future__ import annotations

import pytest
from case_world import build, open_case, submit
from helpers import hidden, sign_in
from sqlalchemy import select

from safe4c.access.rules import policy
from safe4c.cases import referrals, statements
from safe4c.cases.referrals import ReferralInput
from safe4c.db.cases import Case, CaseStep
from safe4c.db.tables import AuditEntry
from safe4c.workspace import decisions

STATEMENT = "Anak menceritakan ancaman dari akun yang dikenalnya di gim daring."
NOTE = "Catatan konselor: anak takut pulang sendiri."
REASON = "Anak membutuhkan pendampingan psikologis."


@pytest.fixture
def scene(uow_factory):
    world = build(uow_factory)
    report_id, report_public_id, _ = submit(uow_factory)
    with uow_factory() as uow:
        decisions.decide(uow=uow, kind="refer_police", where=decisions.scope(uow, report_public_id=report_public_id),
                         actor_id=world.staff["analis"], reason="Pemerasan seksual terhadap anak.")
    case = open_case(uow_factory, world, report_id=report_id, statements=0, consent={
        "share_statement": True, "police": True, "share_with": ["type:psychosocial", "type:police_unit"]})
    lead = world.actor("pekerja_a")
    with uow_factory() as uow:
        statements.record_statement(uow=uow, actor=lead, case_public_id=case, body=STATEMENT, language="id")
    with uow_factory() as uow:
        statements.add_note(uow=uow, actor=lead, case_public_id=case, body=NOTE)
    sent = {}
    for to, kind, service in (("psy-31", "services", "psychosocial_support"), ("polda-32", "police", None)):
        with uow_factory() as uow:
            sent[to] = referrals.send(uow=uow, actor=lead, case_public_id=case, data=ReferralInput(
                kind=kind, to_agency_id=world.agencies[to], service_type=service, reason=REASON))
    with uow_factory() as uow:
        case_id = uow.session.scalar(select(Case.id).where(Case.public_id == case))
        row = CaseStep(case_id=case_id, kind="follow_up", status="open", created_at=uow.now(), detail={})
        uow.session.add(row)
        uow.session.flush()
        step = row.id
        uow.commit()
    return dict(world=world, case=case, step=step, to_b=sent["psy-31"], to_police=sent["polda-32"],
                report=report_public_id)


def _as(client, username: str) -> str:
    client.cookies.clear()
    sign_in(client, username)
    return hidden(client.get("/staff/home").text)


def _routes(s: dict) -> list[tuple[str, str, dict]]:
    """Every route that names this case, its steps or its referrals, with valid-looking input."""
    return [(m, u, d) for m, u, d, _ in _routes_with_actions(s)]


def _routes_with_actions(s: dict) -> list[tuple[str, str, dict, str]]:
    """``_routes`` with each route's action in the policy (access/rules/policy.py)."""
    case, b, p = s["case"], s["to_b"], s["to_police"]
    return [("GET", f"/staff/cases/{case}", {}, "case.view"),
            ("POST", f"/staff/cases/{case}/statement/read", {}, "case.statement.read"),
            ("POST", f"/staff/cases/{case}/statement", {"body": "Cerita kedua.", "language": "id", "reason": REASON},
             "case.statement.record"),
            ("POST", f"/staff/cases/{case}/notes", {"note": "Catatan dari luar."}, "case.note.add"),
            ("POST", f"/staff/cases/{case}/consent", {"legal_basis": "consent", "covers": "services"},
             "case.consent.manage"),
            ("POST", f"/staff/cases/{case}/consent/withdraw", {"reason": REASON}, "case.consent.manage"),
            ("POST", f"/staff/cases/{case}/assign", {"assignee": "me"}, "case.assign"),
            ("POST", f"/staff/cases/{case}/steps/{s['step']}/done", {"note": "Selesai."}, "case.update"),
            ("POST", f"/staff/cases/{case}/follow-ups", {"days": "7"}, "case.update"),
            ("POST", f"/staff/cases/{case}/closure", {"note": REASON}, "case.update"),
            ("POST", f"/staff/cases/{case}/closure/decide", {"decision": "approve"}, "case.close.approve"),
            ("GET", f"/staff/cases/{case}/referrals", {}, "case.referral.view"),
            ("POST", f"/staff/cases/{case}/referrals", {"kind": "services", "reason": REASON}, "case.referral.send"),
            *[(m, f"/staff/case-referrals/{r}{tail}", data, action) for r in (b, p) for m, tail, data, action in (
                ("GET", "", {}, "case.referral.view"), ("POST", "/accept", {}, "case.referral.respond"),
                ("POST", "/decline", {"reason": REASON}, "case.referral.respond"),
                ("POST", "/delivered", {"services": "psychosocial_support"}, "case.referral.respond"),
                ("POST", "/withdraw", {"reason": REASON}, "case.referral.withdraw"),
                ("GET", "/package.json", {}, "case.referral.package"))]]


def _refusal(s: dict, who: str, action: str) -> int:
    """The one code a refused request gets (docs/access.md): 403 when the role may never do the action (the
    route refuses it before any record is read), 404 when it may but this record is hidden from the actor."""
    return 404 if s["world"].roles[who][0] in policy.roles_allowed(action) else 403


def _call(client, csrf, method, url, data):
    if method == "GET":
        return client.get(url, follow_redirects=False)
    return client.post(url, data={**data, "csrf": csrf}, follow_redirects=False)


LISTS = ("/staff/cases", "/staff/cases?view=mine", "/staff/cases?view=unassigned", "/staff/cases?view=agency",
         "/staff/cases?closed=1", "/staff/case-referrals", "/staff/cases/figures")


def _secrets(s: dict) -> list[str]:
    return [s["case"], s["case"][:8], s["to_b"], s["to_police"], STATEMENT, NOTE, REASON]


def test_another_agency_reaches_nothing_of_the_case_by_any_route_or_list(client, uow_factory, scene):
    for who in ("pekerja_c", "penyelia_b"):  # another agency; the receiving agency's supervisor (not referred)
        csrf = _as(client, who)
        for method, url, data, action in _routes_with_actions(scene):
            if who == "penyelia_b" and "referrals" in url:
                continue  # B's supervisor sees and answers B's referrals (case.referral.view), not the case
            got = _call(client, csrf, method, url, data)
            assert got.status_code == _refusal(scene, who, action), (who, method, url, got.status_code)
            assert not any(x in got.text for x in (STATEMENT, NOTE, REASON)), (who, url)
        for url in LISTS:
            text = _call(client, csrf, "GET", url, {}).text
            # B's supervisor sees B's referral waiting for an answer (in the caseload too), never the case
            mine = (scene["to_b"], REASON) if who == "penyelia_b" else ()
            leaked = [x for x in _secrets(scene) if x in text and x not in mine]
            assert not leaked, (who, url, leaked)
    # nothing changed on the way
    with uow_factory() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == scene["case"]))
        assert case.assigned_to == scene["world"].staff["pekerja_a"] and case.closed_at is None
        assert statements.count(uow, case.id) == 1


def test_a_withdrawn_referral_cuts_the_receiver_off_at_once(client, uow_factory, scene):
    csrf_b = _as(client, "pekerja_b")
    assert client.get(f"/staff/cases/{scene['case']}").status_code == 200
    assert STATEMENT in client.get(f"/staff/case-referrals/{scene['to_b']}").text
    assert STATEMENT in client.post(f"/staff/cases/{scene['case']}/statement/read", data={"csrf": csrf_b}).text
    assert scene["case"][:8] in client.get("/staff/cases").text
    # the receiver cannot withdraw it; the sender must give a reason
    assert client.post(f"/staff/case-referrals/{scene['to_b']}/withdraw",
                       data={"csrf": csrf_b, "reason": REASON}).status_code == 403
    csrf_a = _as(client, "pekerja_a")
    empty = client.post(f"/staff/case-referrals/{scene['to_b']}/withdraw", data={"csrf": csrf_a, "reason": " "})
    assert empty.status_code == 422
    done = client.post(f"/staff/case-referrals/{scene['to_b']}/withdraw", data={"csrf": csrf_a, "reason": REASON},
                       follow_redirects=False)
    assert done.status_code == 303
    assert REASON in client.get(f"/staff/case-referrals/{scene['to_b']}").text  # the sender sees why
    again = client.post(f"/staff/case-referrals/{scene['to_b']}/withdraw", data={"csrf": csrf_a, "reason": REASON})
    assert again.status_code == 409
    csrf_b = _as(client, "pekerja_b")
    for method, url, data, action in _routes_with_actions(scene):
        if scene["to_police"] in url:
            continue
        got = _call(client, csrf_b, method, url, data)
        assert got.status_code == _refusal(scene, "pekerja_b", action), (url, got.status_code)
        assert STATEMENT not in got.text and NOTE not in got.text, (url, got)
    for url in LISTS:
        text = client.get(url).text
        assert scene["case"][:8] not in text and scene["to_b"] not in text, url
    with uow_factory() as uow:
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.referral.withdraw"))
        assert entry.subject_id == scene["to_b"] and REASON not in str(entry.detail)


def test_a_withdrawn_consent_hides_the_statement_from_the_receiver_at_once(client, uow_factory, scene):
    csrf_b = _as(client, "pekerja_b")
    assert STATEMENT in client.post(f"/staff/cases/{scene['case']}/statement/read", data={"csrf": csrf_b}).text
    csrf_a = _as(client, "pekerja_a")
    assert client.post(f"/staff/cases/{scene['case']}/consent/withdraw", data={"csrf": csrf_a, "reason": REASON},
                       follow_redirects=False).status_code == 303
    csrf_b = _as(client, "pekerja_b")
    refused = client.post(f"/staff/cases/{scene['case']}/statement/read", data={"csrf": csrf_b})
    assert refused.status_code == 403 and STATEMENT not in refused.text and NOTE not in refused.text
    assert STATEMENT not in client.get(f"/staff/case-referrals/{scene['to_b']}").text
    # the lead agency still reads what it took
    csrf_a = _as(client, "pekerja_a")
    assert STATEMENT in client.post(f"/staff/cases/{scene['case']}/statement/read", data={"csrf": csrf_a}).text


def test_analyst_admin_and_regulator_never_see_the_statement_or_notes(client, uow_factory, scene):
    from helpers import make_user

    make_user(uow_factory, "regulator", "regulator")
    for who in ("analis", "admin", "regulator"):
        csrf = _as(client, who)
        pages = [_call(client, csrf, m, u, d) for m, u, d in _routes(scene)]
        pages += [client.get(url) for url in LISTS]
        if who == "analis":
            report = client.get(f"/staff/reports/{scene['report']}")
            assert report.status_code == 200
            pages.append(report)
        for got in pages:
            assert STATEMENT not in got.text and NOTE not in got.text, (who, got.url)
        read = client.post(f"/staff/cases/{scene['case']}/statement/read", data={"csrf": csrf})
        assert read.status_code == 403, who


def test_a_national_officer_sees_aggregates_only(client, uow_factory, scene):
    csrf = _as(client, "nasional")
    for method, url, data, action in _routes_with_actions(scene):
        assert _call(client, csrf, method, url, data).status_code == _refusal(scene, "nasional", action) == 403, url
    figures = client.get("/staff/cases/figures")
    assert figures.status_code == 200
    assert not any(x in figures.text for x in _secrets(scene))
    for url in ("/staff/cases", "/staff/case-referrals"):
        assert client.get(url).status_code == 403


def test_a_withdrawn_police_referral_takes_the_package_and_the_case_from_the_unit(client, uow_factory, scene):
    police = scene["to_police"]
    _as(client, "polisi")
    assert client.get(f"/staff/case-referrals/{police}/package.json").status_code == 200
    assert client.get(f"/staff/cases/{scene['case']}").status_code == 200
    csrf_a = _as(client, "pekerja_a")
    assert client.post(f"/staff/case-referrals/{police}/withdraw", data={"csrf": csrf_a, "reason": REASON},
                       follow_redirects=False).status_code == 303
    csrf = _as(client, "polisi")
    for method, url, data, action in _routes_with_actions(scene):
        got = _call(client, csrf, method, url, data)
        assert got.status_code == _refusal(scene, "polisi", action), (url, got.status_code)
        assert STATEMENT not in got.text, (url, got.status_code)
    assert police not in client.get("/staff/case-referrals").text


def test_notes_withheld_from_an_agency_stay_hidden_from_it(client, uow_factory, scene):
    from safe4c.cases import consent
    from safe4c.cases.rules.consent import ConsentInput

    with uow_factory() as uow:  # a new consent: the statement still shared, the lead's notes withheld from B
        consent.record_consent(uow=uow, actor=scene["world"].actor("pekerja_a"), case_public_id=scene["case"],
                               given=ConsentInput(child_assent=True, guardian_consent=True, services=True,
                                                  share_statement=True, police=True, statistics=True,
                                                  share_with=("type:psychosocial", "type:police_unit"),
                                                  withheld=(("psy-31", "notes"),),
                                                  withheld_reason="Catatan konselor hanya untuk UPTD PPA."))
    csrf_b = _as(client, "pekerja_b")
    own = "Catatan psikolog: sesi pertama berjalan baik."
    assert client.post(f"/staff/cases/{scene['case']}/notes", data={"csrf": csrf_b, "note": own},
                       follow_redirects=False).status_code == 303
    read = client.post(f"/staff/cases/{scene['case']}/statement/read", data={"csrf": csrf_b}).text
    assert STATEMENT in read and own in read and NOTE not in read
    csrf_a = _as(client, "pekerja_a")  # the lead reads every note
    read = client.post(f"/staff/cases/{scene['case']}/statement/read", data={"csrf": csrf_a}).text
    assert NOTE in read and own in read
