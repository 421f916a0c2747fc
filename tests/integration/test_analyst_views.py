"""What the analyst sees (issue 12), over HTTP on SQLite and PostgreSQL: a network's urgency, a platform's report
as the platform sent it, a report still being processed, and accounts whose platform is not known."""

from __future__ import annotations

from helpers import hidden, make_user, sign_in
from sqlalchemy import select

from safe4c.db.tables import Report
from safe4c.networks import membership
from safe4c.reports import intake
from safe4c.reports.rules.report import parse_report
from safe4c.worker import Worker

PHONE = "0812-3456-7890"


def submit(uow_factory, **fields) -> str:
    data = {"situations": ["grooming"]} | fields
    with uow_factory() as uow:
        return intake.submit_report(uow=uow, report=parse_report(data), channel="web", language="id").report_id


def run_jobs(uow_factory):
    worker = Worker(uow_factory)
    while worker.run_once():
        pass


def cluster_of(uow_factory, public_id: str) -> int:
    with uow_factory() as uow:
        rid = uow.session.scalar(select(Report.id).where(Report.public_id == public_id))
        return membership.cluster_of(uow, rid)


def login(client, username="analis"):
    sign_in(client, username)
    return hidden(client.get("/staff").text)


# --- a network with a P1 member is urgent ----------------------------------------------------------------

def test_a_network_whose_p1_comes_from_a_young_childs_raise_is_urgent(client, uow_factory):
    # sextortion (P2) of an 11-year-old: raised to P1 by the child's age, a P1 of its own
    young = submit(uow_factory, situations=["sextortion"], age_band="10_12", accounts=[PHONE])
    other = submit(uow_factory, situations=["grooming"], accounts=[PHONE])
    run_jobs(uow_factory)
    with uow_factory() as uow:
        rows = {r.public_id: r for r in uow.session.scalars(select(Report))}
        assert rows[young].priority == "P1"
        assert rows[other].priority == "P1"  # raised by the network
        assert rows[other].triage_reasons[0]["code"] == "link.urgent_cluster"
    make_user(uow_factory)
    login(client)
    html = client.get(f"/staff/clusters/{cluster_of(uow_factory, young)}?lang=en").text
    assert "<strong>Yes</strong>" in html and "it holds a P1 report" in html
