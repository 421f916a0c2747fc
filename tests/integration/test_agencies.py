"""Agencies on SQLite and PostgreSQL: create (linked to the directory, audited, nothing saved when wrong), the
seed, staff of an agency, the agencies and users pages, where each role lands, and the real `safe4c` command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import PASSWORD, hidden, login, make_user, sign_in_new
from sqlalchemy import func, select

from safe4c.access import accounts
from safe4c.cases import agencies, agency_seed
from safe4c.cases.rules.agencies import AgencyInput
from safe4c.db.cases import Agency
from safe4c.db.tables import AuditEntry, StaffUser
from safe4c.directory import seed as directory_seed
from safe4c.kernel import regions
from safe4c.kernel.errors import Invalid, NotFound
from safe4c.web.authorization import staff_home

BANDUNG = AgencyInput("uptd-ppa-32-73", "UPTD PPA Kota Bandung", "uptd_ppa", "32.73")


def _count(uow_factory, table) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(table))


def _audit(uow_factory, action: str) -> list[dict]:
    with uow_factory() as uow:
        return list(uow.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == action)))


def _create(uow_factory, agency: AgencyInput = BANDUNG, actor_id: int | None = None) -> agencies.AgencyView:
    with uow_factory() as uow:
        return agencies.create_agency(uow=uow, agency=agency, actor_id=actor_id)


def test_create_list_and_find_by_code_with_an_audit_entry(uow_factory):
    made = _create(uow_factory, AgencyInput(" UPTD-PPA-32-73", "UPTD PPA  Kota Bandung", "uptd_ppa", "3273", True))
    assert (made.code, made.name, made.region_code, made.is_example) == ("uptd-ppa-32-73", "UPTD PPA Kota Bandung",
                                                                         "32.73", True)
    assert made.organization_id is None  # the directory holds no such entry
    with uow_factory() as uow:
        assert agencies.get_by_code(uow=uow, code="UPTD-PPA-32-73") == made
        assert [a.code for a in agencies.list_agencies(uow=uow)] == ["uptd-ppa-32-73"]
        assert agencies.list_agencies(uow=uow, agency_type="police_unit") == []
        assert [a.code for a in agencies.list_agencies(uow=uow, province="32")] == ["uptd-ppa-32-73"]
        assert agencies.list_agencies(uow=uow, province="53") == []
        with pytest.raises(NotFound):
            agencies.get_by_code(uow=uow, code="tidak-ada")
    assert _audit(uow_factory, "agency.create") == [{"code": "uptd-ppa-32-73", "type": "uptd_ppa",
                                                     "region": "32.73", "example": True, "organization": None}]


def test_bad_input_says_what_to_fix_and_saves_nothing(uow_factory):
    with pytest.raises(Invalid) as bad:
        _create(uow_factory, AgencyInput("Kode Salah", "", "polisi", "99"))
    assert {f.field for f in bad.value.fields} == {"code", "name", "agency_type", "region_code"}
    _create(uow_factory)
    with pytest.raises(Invalid) as taken:
        _create(uow_factory, AgencyInput("uptd-ppa-32-73", "Lain", "health", "32"))
    assert [(f.field, f.message) for f in taken.value.fields] == [("code", agencies.TAKEN)]
    assert _count(uow_factory, Agency) == 1 and len(_audit(uow_factory, "agency.create")) == 1


def test_an_agency_links_to_its_directory_entry_when_one_matches(uow_factory):
    with uow_factory() as uow:
        directory_seed.seed(uow=uow)
    jabar = _create(uow_factory, AgencyInput("uptd-ppa-32", "UPTD PPA Provinsi Jawa Barat", "uptd_ppa", "32"))
    sapa = _create(uow_factory, AgencyInput("sapa", "SAPA 129", "hotline", "ID"))  # its alternate name
    other_type = _create(uow_factory, AgencyInput("x-32", "UPTD PPA Provinsi Jawa Barat", "social_service", "32"))
    other_region = _create(uow_factory, AgencyInput("x-53", "UPTD PPA Provinsi Jawa Barat", "uptd_ppa", "53"))
    with uow_factory() as uow:
        from safe4c.db.directory import DirectoryOrganization

        names = dict(uow.session.execute(select(DirectoryOrganization.id, DirectoryOrganization.name)).all())
    assert names[jabar.organization_id] == "UPTD PPA Provinsi Jawa Barat"
    assert names[sapa.organization_id] == "SAPA 129 (Sahabat Perempuan dan Anak)"
    assert other_type.organization_id is None and other_region.organization_id is None


def test_the_seed_adds_national_provincial_and_example_agencies_once_and_links_them(uow_factory):
    with uow_factory() as uow:
        directory_seed.seed(uow=uow)
    with uow_factory() as uow:
        first = agency_seed.seed(uow=uow)
    total = 2 + len(regions.provinces()) + len(agency_seed.EXAMPLES)
    # linked: the ministry, SAPA 129, every province's UPTD PPA and the five directory examples (not the two
    # city UPTD PPA, the Polda or the Bandung social service, which the directory does not hold)
    assert (first.added, first.updated, first.linked) == (total, 0, 2 + len(regions.provinces()) + 5)
    _create(uow_factory, AgencyInput("buatan-admin", "Lembaga Buatan", "health", "11"))
    with uow_factory() as uow:
        again = agency_seed.seed(uow=uow)
    assert (again.added, again.updated) == (0, total)
    with uow_factory() as uow:
        rows = agencies.list_agencies(uow=uow)
        assert len(rows) == total + 1
        assert [a.code for a in rows[:2]] == ["kemenpppa", "sapa-129"]  # national first
        jatim = agencies.get_by_code(uow=uow, code="uptd-ppa-35")
        assert jatim.name == "UPTD PPA Provinsi Jawa Timur" and not jatim.is_example and jatim.organization_id
        examples = [a for a in rows if a.is_example]
        assert len(examples) == len(agency_seed.EXAMPLES) and all("(contoh)" in a.name for a in examples)
    assert _audit(uow_factory, "agency.seed")[-1] == {"added": 0, "updated": total, "linked": first.linked}


def test_seeding_agencies_before_the_directory_links_them_when_seeded_again(uow_factory):
    with uow_factory() as uow:
        assert agency_seed.seed(uow=uow).linked == 0
    with uow_factory() as uow:
        directory_seed.seed(uow=uow)
    with uow_factory() as uow:
        assert agency_seed.seed(uow=uow).linked > 40


def test_case_workers_supervisors_and_police_liaisons_need_an_agency_of_the_right_kind(uow_factory):
    _create(uow_factory)
    _create(uow_factory, AgencyInput("ppa-polda-jabar", "Unit PPA Polda Jawa Barat", "police_unit", "32"))

    def refused(role: str, agency: str | None) -> list[str]:
        with pytest.raises(Invalid) as bad, uow_factory() as uow:
            accounts.create_user(uow=uow, username="baru", password=PASSWORD, role=role, agency_code=agency)
        return [f.field for f in bad.value.fields]

    for role in ("case_worker", "supervisor", "police_liaison"):
        assert refused(role, None) == ["agency"]
    assert refused("case_worker", "tidak-ada") == ["agency"]
    assert refused("police_liaison", "uptd-ppa-32-73") == ["agency"]
    assert _count(uow_factory, StaffUser) == 0
    worker = make_user(uow_factory, "siti", "case_worker", agency="UPTD-PPA-32-73")
    make_user(uow_factory, "budi", "police_liaison", agency="ppa-polda-jabar")
    make_user(uow_factory, "analis", "analyst")  # needs none
    with uow_factory() as uow:
        bandung = agencies.get_by_code(uow=uow, code="uptd-ppa-32-73")
        assert bandung.staff == 1
        users = {u.username: u for u in accounts.list_users(uow=uow)}
        assert users["siti"].agency_id == bandung.id and users["analis"].agency_id is None
        uow.session.get(Agency, bandung.id).active = False
        uow.commit()
    assert refused("case_worker", "uptd-ppa-32-73") == ["agency"]  # an inactive agency takes no new staff
    assert {"role": "case_worker", "agency": "uptd-ppa-32-73"} in _audit(uow_factory, "user.create")
    # signing in gives the policy the member's agency and its region
    with uow_factory() as uow:
        user = accounts.authenticate(uow=uow, username="siti", password=PASSWORD)
    assert (user.id, user.agency_id, user.agency_region) == (worker, bandung.id, "32.73")


def test_each_role_lands_where_its_work_starts(client, uow_factory):
    _create(uow_factory)
    _create(uow_factory, AgencyInput("ppa-polda-jabar", "Unit PPA Polda Jawa Barat", "police_unit", "32"))
    agency_of = {"case_worker": "uptd-ppa-32-73", "supervisor": "uptd-ppa-32-73", "police_liaison": "ppa-polda-jabar"}
    expected = {"analyst": "/staff", "admin": "/staff", "regulator": "/staff/compliance",
                "case_worker": "/staff/cases", "supervisor": "/staff/cases", "police_liaison": "/staff/cases",
                # the national figures are another branch's (statistics.view); until then the case figures
                "national_officer": "/staff/statistics" if can_see_statistics() else "/staff/cases/figures"}
    for role, target in expected.items():
        make_user(uow_factory, role, role, agency=agency_of.get(role))
        client.cookies.clear()
        response = login(client, role)
        assert (response.status_code, response.headers["location"]) == (303, target), role
        again = client.get("/staff/login", follow_redirects=False)  # already signed in: the same place
        assert again.headers["location"] == target, role
    with uow_factory() as uow:
        officer = next(u for u in accounts.list_users(uow=uow) if u.role == "national_officer")
    assert staff_home(officer) == expected["national_officer"]
    for role, target in expected.items():  # each lands on a page it may open
        client.cookies.clear()
        login(client, role)
        assert client.get(target).status_code == 200, role


def test_a_role_with_no_work_page_lands_on_the_start_page(client, uow_factory, monkeypatch):
    from safe4c.access.rules import policy

    for action in ("case.figures.view", "statistics.view"):
        if action in policy.POLICY:
            monkeypatch.setitem(policy.POLICY, action, policy.rule("Nobody", "admin"))
    make_user(uow_factory, "pemantau", "national_officer")
    assert login(client, "pemantau").headers["location"] == "/staff/home"
    page = client.get("/staff/home")
    assert "Belum ada halaman untuk pekerjaan peran Anda" in page.text


def can_see_statistics() -> bool:
    from safe4c.access.rules import policy

    return "statistics.view" in policy.POLICY and "national_officer" in policy.POLICY["statistics.view"].principals


def test_the_start_page_says_what_is_there(client, uow_factory):
    sign_in_new(client, uow_factory, "pemantau", "national_officer")
    page = client.get("/staff/home")
    assert page.status_code == 200
    assert "Selamat datang, Pemantau" in page.text and "Petugas nasional" in page.text
    assert 'href="/staff/directory"' in page.text and 'href="/staff/agencies"' in page.text
    english = client.get("/staff/home?lang=en")
    assert "What you can open" in english.text


def test_the_agencies_page_lists_and_an_administrator_adds_one(client, uow_factory):
    with uow_factory() as uow:
        directory_seed.seed(uow=uow)
    with uow_factory() as uow:
        agency_seed.seed(uow=uow)
    make_user(uow_factory, "siti", "case_worker", agency="uptd-ppa-32-73")
    sign_in_new(client, uow_factory, "admin", "admin")
    listed = client.get("/staff/agencies?type=uptd_ppa&province=32")
    assert listed.status_code == 200
    assert "UPTD PPA Provinsi Jawa Barat" in listed.text and "UPTD PPA Kota Bandung (contoh)" in listed.text
    assert "Provinsi Bali" not in listed.text and "Lembaga: 2" in listed.text
    assert 'href="/staff/directory/organizations/' in listed.text and "Lembaga baru" in listed.text
    csrf = hidden(listed.text)
    wrong = client.post("/staff/agencies", data={"csrf": csrf, "code": "Salah Kode", "name": "Lembaga",
                                                 "agency_type": "health", "region_code": "99"})
    assert wrong.status_code == 422
    assert "Gunakan 1 sampai 32 karakter" in wrong.text and "Isi kode provinsi Kemendagri" in wrong.text
    assert 'value="Lembaga"' in wrong.text  # what was typed stays
    made = client.post("/staff/agencies", data={"csrf": csrf, "code": "rs-bali", "name": "RSUD Bali (contoh)",
                                                "agency_type": "health", "region_code": "51", "example": "1"},
                       follow_redirects=False)
    assert (made.status_code, made.headers["location"]) == (303, "/staff/agencies?created=rs-bali")
    shown = client.get("/staff/agencies?created=rs-bali&province=51&lang=en")
    assert "The agency rs-bali was added." in shown.text and "RSUD Bali (contoh)" in shown.text
    with uow_factory() as uow:
        assert agencies.get_by_code(uow=uow, code="rs-bali").is_example
    users = client.get("/staff/users?lang=id")
    assert "UPTD PPA Kota Bandung (contoh)" in users.text and "Manajer kasus" in users.text


def test_a_case_worker_sees_the_list_without_the_form(client, uow_factory):
    _create(uow_factory)
    make_user(uow_factory, "siti", "case_worker", agency="uptd-ppa-32-73")
    client.cookies.clear()
    login(client, "siti")
    page = client.get("/staff/agencies")
    assert page.status_code == 200 and "UPTD PPA Kota Bandung" in page.text and "Lembaga baru" not in page.text
    assert 'href="/staff/agencies"' in page.text  # in the staff menu
    refused = client.post("/staff/agencies", data={"csrf": hidden(page.text), "code": "x", "name": "X",
                                                   "agency_type": "health", "region_code": "32"})
    assert refused.status_code == 403 and _count(uow_factory, Agency) == 1


# --- the real command -------------------------------------------------------------------------------------

def _run(env, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "safe4c.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=180)


def test_the_agency_and_user_commands(tmp_path, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the command runs once, on its own SQLite file")
    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path / "cli"), SAFE4C_DATABASE_URL="",
               SAFE4C_SECRET_KEY="cli-test")
    assert _run(env, "db", "upgrade").returncode == 0
    made = _run(env, "agency", "create", "uptd-ppa-53-01", "--name", "UPTD PPA Kabupaten Kupang", "--type", "uptd_ppa",
                "--region", "5301", "--example")
    assert made.returncode == 0, made.stderr
    assert made.stdout == "created agency uptd-ppa-53-01: UPTD PPA Kabupaten Kupang\n"
    bad = _run(env, "agency", "create", "x", "--name", "X", "--type", "polisi", "--region", "99")
    assert bad.returncode == 2 and "agency_type: Choose one of the agency types" in bad.stderr
    assert "region_code:" in bad.stderr
    assert _run(env, "agency", "create", "x").returncode == 2  # what is missing is shown
    seeded = _run(env, "agency", "seed")
    assert seeded.returncode == 0 and "agencies seeded: 49 added, 0 updated, 0 linked" in seeded.stdout
    listed = _run(env, "agency", "list", "--type", "uptd_ppa").stdout.splitlines()
    assert "uptd-ppa-53-01\tuptd_ppa\t53.01\t0 staff\texample\tUPTD PPA Kabupaten Kupang" in listed
    assert len(listed) == 1 + len(regions.provinces()) + 2  # ours, the provinces, Bandung and Kupang
    no_agency = _run(env, "user", "create", "siti", "--role", "case_worker", "--password-stdin",
                     stdin="panjang-sekali-rahasia\n")
    assert no_agency.returncode == 2 and no_agency.stderr.startswith("agency: A case worker")
    created = _run(env, "user", "create", "siti", "--role", "case_worker", "--agency", "uptd-ppa-53-01",
                   "--password-stdin", stdin="panjang-sekali-rahasia\n")
    assert created.returncode == 0 and created.stdout == "created case_worker siti of agency uptd-ppa-53-01\n"
    assert "siti\tcase_worker\tactive\tuptd-ppa-53-01\tsiti" in _run(env, "user", "list").stdout
    assert "uptd-ppa-53-01\tuptd_ppa\t53.01\t1 staff" in _run(env, "agency", "list").stdout
    assert _run(env, "audit", "verify").returncode == 0
