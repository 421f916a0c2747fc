"""The service directory on SQLite and PostgreSQL: seed, HSDS import and export, coverage, staff pages, CLI."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
from helpers import sign_in_new
from sqlalchemy import func, select

from safe4c.db.directory import DirectoryService
from safe4c.db.tables import AuditEntry
from safe4c.directory import coverage, seed, service
from safe4c.directory.rules import hsds_out
from safe4c.kernel import regions
from safe4c.kernel.errors import Invalid
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report


def _seed(uow_factory):
    with uow_factory() as uow:
        return seed.seed(uow=uow)


def test_seed_adds_the_ministry_sapa_129_and_a_uptd_ppa_per_province_once(uow_factory):
    first = _seed(uow_factory)
    assert first.added == 2 + len(regions.provinces()) + len(seed.EXAMPLES) and first.replaced == 0
    again = _seed(uow_factory)
    assert again.added == 0 and again.replaced == first.added
    with uow_factory() as uow:
        assert service.count(uow=uow) == first.added
        uptd = service.list_organizations(uow=uow, org_type="uptd_ppa", province="32")
        assert [o.name for o in uptd] == ["UPTD PPA Provinsi Jawa Barat"] and not uptd[0].is_example
        assert uptd[0].service_types == tuple(sorted(("complaints", "outreach", "case_management",
                                                      "temporary_shelter", "mediation", "accompaniment")))
        org = service.get_organization(uow=uow, org_id=uptd[0].id)
        assert org.contacts and all(c.is_example for c in org.contacts)  # its real contacts are not gathered
        sapa = service.list_organizations(uow=uow, org_type="hotline")[0]
        assert not sapa.is_example and "129" in {p.number for p in service.get_organization(
            uow=uow, org_id=sapa.id).phones}
        examples = [o for o in service.list_organizations(uow=uow) if o.is_example]
        assert {o.org_type for o in examples} == {"psychosocial", "legal_aid", "health", "social_service",
                                                  "police_unit"}
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "directory.seed")) == 2


def test_export_then_import_gives_the_same_directory(uow_factory):
    _seed(uow_factory)
    with uow_factory() as uow:
        exported = service.export_hsds(uow=uow)
    assert exported["total_items"] == len(seed.seed_entries())
    changed = copy.deepcopy(exported)
    changed["contents"][0]["name"] = "Nama baru"
    with uow_factory() as uow:
        result = service.import_hsds(uow=uow, document=changed)
    assert (result.added, result.replaced) == (0, exported["total_items"])
    with uow_factory() as uow:
        again = service.export_hsds(uow=uow)
    by_id = {o["id"]: o for o in again["contents"]}
    assert by_id[changed["contents"][0]["id"]]["name"] == "Nama baru"
    assert sorted(json.dumps(o, sort_keys=True) for o in again["contents"]) == \
        sorted(json.dumps(o, sort_keys=True) for o in changed["contents"])


def test_an_import_with_any_problem_saves_nothing(uow_factory):
    good = hsds_out.to_hsds(seed.seed_entries()[0])
    bad = copy.deepcopy(hsds_out.to_hsds(seed.seed_entries()[1]))
    bad["services"][0]["status"] = "open"
    with pytest.raises(Invalid) as refused, uow_factory() as uow:
        service.import_hsds(uow=uow, document=[good, bad])
    assert [f.field for f in refused.value.fields] == ["contents[1].services[0].status"]
    with uow_factory() as uow:
        assert service.count(uow=uow) == 0
        assert uow.session.scalar(select(func.count()).select_from(DirectoryService)) == 0


def test_coverage_flags_3t_regencies_and_reports_without_a_provider(uow_factory):
    _seed(uow_factory)
    with uow_factory() as uow:
        for regency in ("53.01", "53.02", "32.73"):  # Kupang (example police unit there), TTS (none), Bandung
            intake.submit_report(uow=uow, report=parse_report({"situations": ["grooming"], "province_code":
                                 regency[:2], "regency_code": regency}), channel="web", language="id")
    with uow_factory() as uow:
        ntt = {r.code: r for r in coverage.regency_coverage(uow=uow, province="53").rows}
        gaps = {r.code for r in coverage.regency_coverage(uow=uow, only="gaps").rows}
        remote = coverage.regency_coverage(uow=uow, only="remote")
    assert ntt["53.02"].remote and ntt["53.02"].reports == 1 and ntt["53.02"].gap
    assert ntt["53.01"].providers_here == 1 and not ntt["53.01"].gap
    assert ntt["53.02"].serving["complaints"] == 1  # the province's UPTD PPA serves it from afar
    assert ntt["53.71"].serving["legal_aid"] == 1 and ntt["53.71"].reports == 0
    assert gaps == {"53.02"}  # Bandung has the example psychosocial provider
    assert len(remote.rows) == 62 and remote.national == {"complaints": 1, "case_management": 1}


def test_staff_pages_in_both_languages(client, uow_factory):
    _seed(uow_factory)
    sign_in_new(client, uow_factory, "regulator1", "regulator")
    page = client.get("/staff/directory?type=uptd_ppa&province=32")
    assert page.status_code == 200 and "UPTD PPA Provinsi Jawa Barat" in page.text
    assert "Provinsi Aceh" not in page.text and "Direktori layanan" in page.text
    with uow_factory() as uow:
        example = next(o for o in service.list_organizations(uow=uow) if o.is_example)
    org = client.get(f"/staff/directory/organizations/{example.id}", headers={"Accept-Language": "en"})
    assert org.status_code == 200
    assert "This is an example entry" in org.text or "Ini entri contoh" in org.text
    cover = client.get("/staff/directory/coverage?province=53&only=remote")
    assert cover.status_code == 200 and "Kabupaten Sabu Raijua" in cover.text and "Kota Kupang" not in cover.text
    assert client.get("/staff/directory/organizations/999999").status_code == 404
    assert client.get("/staff/directory/export.json").status_code == 403  # regulators view, admins export
    assert client.get("/staff/directory?type=nonsense&province=xx").status_code == 200  # unknown filters: all


SAFE4C = [sys.executable, "-m", "safe4c.cli"]


def test_the_cli_seeds_exports_and_imports(tmp_path):
    env = dict(os.environ, SAFE4C_DATA_DIR=str(tmp_path), SAFE4C_DATABASE_URL="", SAFE4C_SECRET_KEY="cli-test")

    def run(*args):
        return subprocess.run([*SAFE4C, *args], env=env, capture_output=True, text=True, timeout=120)

    assert run("db", "upgrade").returncode == 0
    seeded = run("directory", "seed")
    assert seeded.returncode == 0 and "organizations added" in seeded.stdout, seeded.stderr
    out = tmp_path / "directory.json"
    assert run("directory", "export", str(out)).returncode == 0
    document = json.loads(out.read_text())
    assert document["total_items"] == len(seed.seed_entries())
    imported = run("directory", "import", str(out))
    assert imported.returncode == 0 and f"replaced {document['total_items']}" in imported.stdout
    document["contents"][0]["attributes"] = []
    out.write_text(json.dumps(document))
    refused = run("directory", "import", str(out))
    assert refused.returncode == 2 and "nothing was saved" in refused.stderr
    assert "contents[0].attributes: Expected exactly one attribute" in refused.stderr
    out.write_text("{not json")
    assert run("directory", "import", str(out)).returncode == 2
