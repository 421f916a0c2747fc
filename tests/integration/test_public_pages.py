"""The public portal over HTTP, on SQLite and PostgreSQL: the form, the thank-you page, the status page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from safe4c.db.tables import Job, Report
from safe4c.kernel import regions
from safe4c.reports.rules.report import ReportCreate
from safe4c.reports.rules.taxonomy import SITUATION_CODES
from safe4c.reports import fields as report_fields

QUICK_EXIT = "https://www.google.com/search?q=cuaca"
BUDGET_BYTES = 60 * 1024

STORY = "Ada orang di game yang minta foto. Dia bilang mau kasih diamond kalau aku kirim."
GOOD = {
    "situations": ["gaming", "grooming"],
    "urgent_signals": ["meeting_planned"],
    "story": STORY,
    "platforms": ["free_fire", "whatsapp"],
    "accounts": "@bang.diamond77\n\n  0812-3456-7890  \n",
    "when": "this_week",
    "province_code": "32",
    "regency_code": "32.76",
    "age_band": "13_15",
    "gender": "girl",
    "reporter_role": "child",
    "contact_method": "none",
    "consent_services": "yes",
}


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, enough to check a page without a browser."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def count(uow_factory, model) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def code_on(html: str) -> str:
    match = re.search(r'id="followup-code"[^>]*>([0-9A-Z-]+)<', html)
    assert match, "the thank-you page shows the follow-up code"
    return match.group(1)


def submit(client, data=GOOD, **kw):
    return client.post("/lapor", data=data, **kw)


def test_form_post_stores_a_web_report_and_shows_the_code_once(client, uow_factory):
    r = submit(client)
    assert r.status_code == 200, r.text
    code = code_on(r.text)
    assert len(code.replace("-", "")) == 16
    assert r.text.count(code) == 1
    assert "Kamu tidak salah" in r.text  # Indonesian by default, and kind
    assert "Jangan terima diamond" in r.text  # advice matched to "gaming"
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report))
        assert row.channel == "web"
        assert row.language == "id"
        assert row.situations == ["gaming", "grooming"]
        assert row.platforms == ["free_fire", "whatsapp"]
        assert report_fields.accounts(uow.ctx.sealer, row) == ["@bang.diamond77", "0812-3456-7890"]
        assert row.urgent_signals == ["meeting_planned"]
        assert (row.province_code, row.regency_code) == ("32", "32.76")
        assert (row.incident_when, row.age_band, row.gender, row.reporter_role) == ("this_week", "13_15", "girl", "child")
        assert row.disability is None
        assert row.consent_services is True
        assert row.contact_method == "none" and row.contact_sealed is None
        assert uow.ctx.sealer.open(row.story_sealed, context="report.story") == STORY
        assert row.priority is not None


def test_minimal_form_is_anonymous_without_consent(client, uow_factory):
    r = submit(client, {"situations": "other"})
    assert r.status_code == 200
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report))
        assert row.situations == ["other"]
        assert row.consent_services is False and row.contact_method == "none"
        assert row.accounts_sealed is None and row.story_sealed is None


def test_accounts_also_come_from_several_inputs(client, uow_factory):
    r = submit(client, {"situations": "sextortion", "accounts": ["@satu", "@dua\n@tiga", ""]})
    assert r.status_code == 200
    with uow_factory() as uow:
        row = uow.session.scalar(select(Report))
        assert report_fields.accounts(uow.ctx.sealer, row) == ["@satu", "@dua", "@tiga"]


def test_errors_rerender_with_answers_kept_and_save_nothing(client, uow_factory):
    bad = {k: v for k, v in GOOD.items() if k != "situations"}
    r = submit(client, bad)
    assert r.status_code == 422
    page = Tags(r.text)
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', r.text, re.S)
    assert summary and 'href="#situations-grooming"' in summary.group(0)
    assert "Bagian ini wajib diisi." in summary.group(0)  # the person's language
    assert STORY in r.text  # the story is kept
    assert "@bang.diamond77\n0812-3456-7890" in r.text
    assert page.find("input", name="platforms", value="free_fire", checked="")
    assert page.find("input", name="when", value="this_week", checked="")
    assert page.find("input", name="consent_services", checked="")
    assert page.find("option", value="32.76", selected="")
    assert page.find("fieldset", **{"aria-describedby": "situations-error"})
    assert page.find("p", id="situations-error")
    assert count(uow_factory, Report) == 0 and count(uow_factory, Job) == 0


def test_field_errors_are_linked_to_their_fields_in_english(client, uow_factory):
    r = submit(client, dict(GOOD, province_code="31"), params={"lang": "en"})
    assert r.status_code == 422
    page = Tags(r.text)
    [select_] = page.find("select", id="regency_code")
    assert select_["aria-invalid"] == "true"
    assert "regency_code-error" in select_["aria-describedby"].split()
    assert "This regency or city is not in the chosen province." in r.text
    r = submit(client, dict(GOOD, contact_method="email", contact_value="bukan-email"), params={"lang": "en"})
    assert r.status_code == 422
    [field] = Tags(r.text).find("input", id="contact_value")
    assert field["aria-invalid"] == "true" and field["value"] == "bukan-email"
    assert "This does not look like an e-mail address." in r.text
    assert count(uow_factory, Report) == 0


def test_a_tampered_choice_is_an_error_not_a_crash(client, uow_factory):
    r = submit(client, dict(GOOD, situations=["not-a-situation"], when="yesterday"))
    assert r.status_code == 422
    assert "Pilihan ini tidak ada di daftar pilihan." in r.text
    assert count(uow_factory, Report) == 0


def test_the_form_asks_every_field_of_a_report(client):
    page = Tags(client.get("/lapor").text)
    names = {a.get("name") for t, a in page.tags if t in ("input", "select", "textarea")}
    assert set(ReportCreate.model_fields) <= names
    assert len(page.find("input", name="situations")) == len(SITUATION_CODES)
    assert len(page.find("option")) == 2 + len(regions.provinces()) + len(regions.all_regencies())
    assert len(page.find("optgroup")) == len(regions.provinces())
    assert page.find("input", name="contact_method", value="none", checked="")  # anonymous by default


def test_situation_link_preselects_the_form(client):
    page = Tags(client.get("/lapor?situasi=sextortion").text)
    assert page.find("input", name="situations", value="sextortion", checked="")


def public_pages(client) -> dict[str, str]:
    pages = {path: client.get(path).text for path in ("/", "/lapor", "/status", "/situasi/grooming")}
    pages["404"] = client.get("/situasi/tidak-ada").text
    pages["422"] = submit(client, {"story": "x"}).text
    thanks = submit(client)
    pages["thanks"] = thanks.text
    pages["status result"] = client.post("/status", data={"code": code_on(thanks.text)}).text
    pages["status unknown"] = client.post("/status", data={"code": "AAAA-BBBB-CCCC-DDDD"}).text
    return pages


def test_every_public_page_has_the_quick_exit_and_no_file_input(client):
    for name, html in public_pages(client).items():
        page = Tags(html)
        assert page.find("a", id="quick-exit", href=QUICK_EXIT), name
        assert not page.find("input", type="file"), name
        assert "multipart" not in html, name
        assert page.find("html", lang="id") and page.find("main", id="main"), name
        assert page.find("a", href="#main"), name  # skip link
        # The CSP forbids inline code: no style attributes, no inline scripts or styles.
        assert "style=" not in html and "<style" not in html, name
        assert all(a.get("src") for a in page.find("script")), name


def test_the_follow_up_code_never_appears_in_a_url(client):
    r = submit(client)
    code = code_on(r.text)
    assert not r.history and code not in str(r.url)
    page = Tags(r.text)
    for _tag, attrs in page.tags:
        for key in ("href", "src", "action"):
            assert code not in attrs.get(key, ""), attrs
    assert not page.find("a", href="?lang=en")  # switching language here would lose the code
    assert page.find("form") == [] or all(f.get("method") == "post" for f in page.find("form"))
    # The status form posts the code in the body; a code in the query string is ignored.
    assert Tags(client.get("/status").text).find("form", method="post", action="/status")
    r = client.get("/status", params={"code": code})
    assert r.status_code == 200 and code not in r.text


def test_status_lookup_in_plain_words(client):
    code = code_on(submit(client).text)
    r = client.post("/status", data={"code": code.lower().replace("-", " ")})
    assert r.status_code == 200
    assert "Diterima" in r.text and "Laporanmu sudah kami terima" in r.text
    r = client.post("/status", data={"code": code}, params={"lang": "en"})
    assert "We have received your report" in r.text


def test_unknown_or_empty_code_is_a_friendly_message(client):
    r = client.post("/status", data={"code": "AAAA-BBBB-CCCC-DDDD"})
    assert r.status_code == 404
    assert "Kami tidak menemukan laporan dengan kode ini" in r.text
    assert Tags(r.text).find("input", id="code", value="AAAA-BBBB-CCCC-DDDD", **{"aria-invalid": "true"})
    r = client.post("/status", data={"code": " "}, params={"lang": "en"})
    assert r.status_code == 422 and "Type your follow-up code." in r.text


def test_rate_limit_keeps_the_answers(client, uow_factory, settings):
    settings.public_rate_limit_per_minute = settings.status_rate_limit_per_minute = 1
    assert submit(client).status_code == 200
    r = submit(client)
    assert r.status_code == 429
    assert "Tunggu satu menit" in r.text and STORY in r.text
    assert count(uow_factory, Report) == 1
    # status checks have a bucket of their own: a wrong code counts, the next check waits
    assert client.post("/status", data={"code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 404
    r = client.post("/status", data={"code": "AAAA-BBBB-CCCC-DDDD"})
    assert r.status_code == 429 and "Terlalu banyak pengecekan status" in r.text


def test_language_switch_sticks_in_a_cookie(client):
    home = Tags(client.get("/").text)
    assert home.find("html", lang="id")
    assert home.find("a", href="?lang=en", lang="en")
    r = client.get("/", params={"lang": "en"})
    assert 'lang="en"' in r.text and "Quick exit" in r.text
    cookie = r.headers["set-cookie"].lower()
    assert "lang=en" in cookie and "samesite=lax" in cookie and "max-age=31536000" in cookie
    r = client.get("/lapor")  # the cookie now chooses English
    assert 'lang="en"' in r.text and "Send report" in r.text
    r = client.get("/status", params={"lang": "id"})
    assert 'lang="id"' in r.text and "Keluar cepat" in r.text
    assert 'lang="id"' in client.get("/").text


def test_english_is_chosen_by_the_browser_without_a_cookie(client):
    r = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert 'lang="en"' in r.text and "set-cookie" not in r.headers


@pytest.mark.parametrize("lang", ["id", "en"])
def test_form_page_weight_budget(client, lang):
    r = client.get("/lapor", params={"lang": lang})
    page = Tags(r.text)
    assets = [a["href"] for a in page.find("link", rel="stylesheet")] + [a["src"] for a in page.find("script")]
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    total = len(r.content)
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        total += len(asset.content)
    assert total < BUDGET_BYTES, f"/lapor weighs {total} bytes with its CSS and JS (budget {BUDGET_BYTES})"


def test_home_explains_every_situation_with_advice_and_help_lines(client):
    r = client.get("/")
    page = Tags(r.text)
    assert len(page.find("details")) == len(SITUATION_CODES)
    assert "Ada yang mengancam akan menyebarkan foto atau videoku" in r.text
    assert "Jangan bayar dan jangan kirim apa pun lagi" in r.text
    assert page.find("a", href="tel:129") and page.find("a", href="tel:110") and page.find("a", href="tel:112")
    assert "08111-129-129" in r.text
    assert page.find("a", href="/lapor")
    for code in SITUATION_CODES:
        assert client.get(f"/situasi/{code}").status_code == 200
    assert client.get("/situasi/tidak-ada").status_code == 404


def test_pages_are_never_cached(client):
    assert client.get("/lapor").headers["cache-control"] == "no-store"
    assert submit(client).headers["cache-control"] == "no-store"


def test_unknown_page_is_an_html_page_in_indonesian_but_api_stays_json(client):
    page = client.get("/tidak-ada")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Keluar cepat" in page.text  # a public page, with its quick exit
    api = client.get("/api/v1/tidak-ada")
    assert api.status_code == 404 and api.json()["error"]["code"] == "http_404"


def test_the_same_form_sent_twice_is_one_report(client, uow_factory):
    """Back, then "resend": a child on a slow network must not file the report twice."""
    from sqlalchemy import func, select

    from safe4c.db.tables import Report

    form = client.get("/lapor").text
    form_id = re.search(r'name="form_id" value="([^"]+)"', form).group(1)
    data = {"form_id": form_id, "situations": ["grooming"], "accounts": "@orang.asing"}
    first = client.post("/lapor", data=data)
    assert first.status_code == 200 and "followup-code" in first.text
    again = client.post("/lapor", data=data)
    assert again.status_code == 200 and "followup-code" in again.text  # her code again (test_public_replay.py)
    other_form = re.search(r'name="form_id" value="([^"]+)"', client.get("/lapor").text).group(1)
    assert other_form != form_id
    assert client.post("/lapor", data=dict(data, form_id=other_form)).status_code == 200
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Report)) == 2


def test_the_form_id_survives_an_error(client):
    form_id = "A" * 22
    page = client.post("/lapor", data={"form_id": form_id, "situations": ["nope"]})
    assert page.status_code == 422 and f'name="form_id" value="{form_id}"' in page.text


def test_an_oversize_form_sent_chunked_is_a_413_page_and_saves_nothing(client, uow_factory):
    body = b"story=" + b"a" * 70_000

    def chunked():  # no Content-Length: the limit holds while the body is read
        for i in range(0, len(body), 8192):
            yield body[i:i + 8192]

    for path in ("/lapor", "/status"):
        r = client.post(path, content=chunked(), params={"lang": "en"},
                        headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413, (path, r.text[:200])
        assert r.headers["content-type"].startswith("text/html")
        assert "What you sent is too large (at most 65536 bytes)." in r.text
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Report)) == 0


def test_home_and_footer_link_to_the_open_statistics(client):
    home = Tags(client.get("/").text)
    assert len(home.find("a", href="/statistik")) == 2  # in the page and in the footer
    assert "Lihat statistik terbuka" in client.get("/").text
    r = client.get("/lapor", params={"lang": "en"})
    assert 'href="/statistik">Open statistics</a>' in r.text
