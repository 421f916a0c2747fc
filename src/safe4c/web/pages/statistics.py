"""The national data centre's pages (docs/statistics.md): staff dashboards under /staff/statistics
(``statistics.view``: aggregates only, never a report) and the open statistics at /statistik with its downloads
(public). Every page reads the rollups, through the statistics database (a read replica when one is set)."""

from __future__ import annotations

from typing import Annotated

from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from safe4c.access.accounts import StaffUser
from safe4c.kernel import regions
from safe4c.cases.rules.workflow import ORIGINS
from safe4c.directory.rules.types import SERVICE_TYPES
from safe4c.statistics import case_queries, charts, open_data, population, queries, rollups
from safe4c.kernel.months import month_of
from safe4c.statistics.rules.counting import UNKNOWN
from safe4c.statistics.rules.iceberg import PREVALENCE_SOURCE
from safe4c.statistics.rules.suppression import TOTAL
from safe4c.web import auth
from safe4c.web.authorization import Allowed
from safe4c.web.i18n import translate
from safe4c.web.deps import StatisticsUowDep
from safe4c.web.pages.render import render
from safe4c.web.pages.staff import LABELS, N_, page

public_router = APIRouter(include_in_schema=False)
staff_router = APIRouter(prefix="/staff/statistics", include_in_schema=False, route_class=auth.StaffRoute)
BREAKDOWNS = ("province", "regency", "situation", "platform", "age", "gender", "disability", "reporter", "channel",
              "status", "priority")
DIM_LABELS = {"province": N_("Province"), "regency": N_("Regency or city"), "situation": N_("Situation"),
              "platform": N_("Platform"), "age": N_("Age band"), "gender": N_("Gender"),
              "disability": N_("Disability"), "reporter": N_("Who reported"), "channel": N_("Channel"),
              "status": N_("Status"), "priority": N_("Priority")}
LABEL_KIND = {"situation": "situation", "platform": "platform", "age": "age", "gender": "gender",
              "disability": "disability", "reporter": "reporter", "channel": "channel", "status": "status"}
SPECIAL = {UNKNOWN: N_("Not stated"), "none": N_("None named"), TOTAL: N_("Indonesia")}


def _helpers(request: Request) -> dict:
    lang = request.state.lang

    def num(value, digits: int = 0) -> str:
        if value is None:
            return ""
        return format_decimal(round(value, digits), format="#,##0" + ("." + "0" * digits if digits else ""),
                              locale=lang)

    def pct(value) -> str:
        return "" if value is None else format_percent(value, format="#,##0.0%", locale=lang)

    def name(dim: str, code: str) -> str:
        if dim == "priority" and code == UNKNOWN:
            return translate(lang, N_("Not triaged"))
        if code in SPECIAL:
            return translate(lang, SPECIAL[code])
        if dim in ("province", "regency"):
            return regions.name_of(code) or code
        if dim in ("origin", "service"):
            return translate(lang, (ORIGINS if dim == "origin" else SERVICE_TYPES).get(code, code))
        return translate(lang, LABELS.get(LABEL_KIND.get(dim, ""), {}).get(code, code))

    return {"num": num, "pct": pct, "name": name, "dim_labels": DIM_LABELS}


def _key(uow, *parts) -> tuple:
    """A rendered chart stays valid while the rollups' version and the month (the window) stay the same."""
    return (str(uow.session.get_bind().url), rollups.version(uow)[0], month_of(uow.now()), *parts)


def _province_map(request, uow, values: dict, label: str, legend: str, kind: str) -> str:
    lang = request.state.lang
    return charts.cached(_key(uow, "map", kind, lang), lambda: charts.tile_map(
        values, {}, label=label, legend=legend, missing=translate(lang, N_("no figure"))))


def _staff(request: Request, template: str, staff, uow, **context) -> HTMLResponse:
    version, refreshed = rollups.version(uow)
    return page(request, template, staff=staff, active="statistics", refreshed=refreshed, **_helpers(request),
                **context)


@staff_router.get("", response_class=HTMLResponse)
def overview(request: Request, uow: StatisticsUowDep, staff: Annotated[StaffUser, Allowed("statistics.view")]):
    lang = request.state.lang
    months = queries.months_window(uow)
    total = queries.breakdown(uow, "total", months)
    per_month = total.rows[0][2] if total.rows else [0] * len(months)
    provinces = queries.breakdown(uow, "province", months)
    trend = charts.cached(_key(uow, "trend", lang), lambda: charts.trend(
        months, per_month, label=translate(lang, N_("Reports per month, last 12 months"))))
    by_code = {p.code: 0.0 for p in regions.provinces()}
    by_code.update({k: float(n) for k, n, _ in provinces.rows if k != UNKNOWN})
    tile = _province_map(request, uow, by_code, translate(lang, N_("Map: reports per province, last 12 months")),
                         translate(lang, N_("Darker: more reports")), "reports")
    return _staff(request, "statistics/overview.html", staff, uow, months=months, per_month=per_month,
                  provinces=provinces, trend_svg=trend, map_svg=tile, view="overview")


@staff_router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, uow: StatisticsUowDep, staff: Annotated[StaffUser, Allowed("statistics.view")],
            dim: str = "situation"):
    dim = dim if dim in BREAKDOWNS else "situation"
    lang = request.state.lang
    months = queries.months_window(uow)
    found = queries.breakdown(uow, dim, months)
    helpers = _helpers(request)
    top = found.rows[:15]
    chart = charts.cached(_key(uow, "bars", dim, lang), lambda: charts.bars(
        [helpers["name"](dim, k) for k, _, _ in top], [n for _, n, _ in top],
        label=translate(lang, N_("Reports by {what}, last 12 months"), what=translate(lang, DIM_LABELS[dim]).lower()),
        unit=translate(lang, N_("Reports"))))
    return _staff(request, "statistics/reports.html", staff, uow, dims=BREAKDOWNS, dim=dim, found=found,
                  chart_svg=chart, view="reports")


@staff_router.get("/response", response_class=HTMLResponse)
def response(request: Request, uow: StatisticsUowDep, staff: Annotated[StaffUser, Allowed("statistics.view")]):
    lang = request.state.lang
    months = queries.months_window(uow)
    rows = queries.response(uow, months)
    platforms = queries.takedowns(uow, months)
    chart = charts.cached(_key(uow, "response", lang), lambda: charts.bars(
        [r.priority for r in rows], [round((r.share_within or 0) * 100, 1) for r in rows],
        label=translate(lang, N_("Share of first actions within the deadline, by priority")), unit="%"))
    return _staff(request, "statistics/response.html", staff, uow, rows=rows, platforms=platforms, chart_svg=chart,
                  view="response")


@staff_router.get("/cases", response_class=HTMLResponse)
def cases(request: Request, uow: StatisticsUowDep, staff: Annotated[StaffUser, Allowed("statistics.view")]):
    """Cases (docs/statistics.md, *Cases*): de-identified counts, without the cases whose consent refuses it."""
    lang = request.state.lang
    months = queries.months_window(uow)
    per_month = case_queries.by(uow, "total", months, per_month=True)
    provinces = case_queries.by(uow, "province", months)
    contact = case_queries.first_contact(uow, months)
    trend = charts.cached(_key(uow, "cases-trend", lang), lambda: charts.trend(
        months, [r.opened for r in per_month], label=translate(lang, N_("Cases opened per month, last 12 months"))))
    by_code = {p.code: 0.0 for p in regions.provinces()}
    by_code.update({r.key: float(r.opened) for r in provinces if r.key != UNKNOWN})
    tile = _province_map(request, uow, by_code, translate(lang, N_("Map: cases opened per province, last 12 months")),
                         translate(lang, N_("Darker: more cases")), "cases")
    chart = charts.cached(_key(uow, "cases-contact", lang), lambda: charts.bars(
        [r.priority for r in contact], [round((r.share_within or 0) * 100, 1) for r in contact],
        label=translate(lang, N_("Share of first contacts within the deadline, by priority")), unit="%"))
    return _staff(request, "statistics/cases.html", staff, uow, months=months, per_month=per_month,
                  provinces=provinces, origins=case_queries.by(uow, "origin", months), contact=contact,
                  services=case_queries.referrals(uow, months),
                  referrals_per_month=case_queries.referrals(uow, months, per_month=True), trend_svg=trend,
                  map_svg=tile, contact_svg=chart, view="cases")


@staff_router.get("/coverage", response_class=HTMLResponse)
def coverage(request: Request, uow: StatisticsUowDep, staff: Annotated[StaffUser, Allowed("statistics.view")]):
    found = queries.coverage(uow)
    inputs = population.inputs()
    split = population.parts()
    per_province: dict[str, list[int]] = {}
    for row in found.rows:
        entry = per_province.setdefault(row.province_code, [0, 0, 0, 0])
        entry[0] += row.providers_here
        entry[1] += row.reports
        entry[2] += row.gap
        entry[3] += row.remote
    provinces = []
    for p in regions.provinces():
        providers, reported, gaps, remote = per_province.get(p.code, [0, 0, 0, 0])
        # Papua's and Papua Barat's 2020 figures cover the provinces split from them in 2022: no rate for them
        children = inputs[p.code].children_12_17 if p.code in inputs and p.code not in split else None
        provinces.append((p, providers, reported, gaps, remote,
                          providers / children * 100_000 if children else None))
    gaps = [r for r in found.rows if r.gap]
    return _staff(request, "statistics/coverage.html", staff, uow, coverage=found, provinces=provinces, gaps=gaps,
                  view="coverage")


@staff_router.get("/iceberg", response_class=HTMLResponse)
def staff_iceberg(request: Request, uow: StatisticsUowDep, staff: Annotated[StaffUser, Allowed("statistics.view")]):
    lang = request.state.lang
    months = queries.months_window(uow)
    reported: dict = {k: n for k, n, _ in queries.breakdown(uow, "province", months).rows}
    reported["all"] = sum(n for _, n, _ in queries.breakdown(uow, "total", months).rows)
    prevalence = uow.settings.statistics_prevalence
    rows, national = queries.iceberg_rows(reported, prevalence)
    tile = _province_map(request, uow, {r.code: r.ratio for r in rows},
                         translate(lang, N_("Map: children expected to be harmed per child reported")),
                         translate(lang, N_("Darker: more children unreported")), "iceberg")
    return _staff(request, "statistics/iceberg.html", staff, uow, rows=rows, national=national, map_svg=tile,
                  prevalence=prevalence, prevalence_source=PREVALENCE_SOURCE, inputs=population.inputs(),
                  split_parts=population.parts(), period=f"{months[0]} – {months[-1]}", view="iceberg")


@public_router.get("/statistik", response_class=HTMLResponse, dependencies=[Allowed("public.view")])
def public_page(request: Request, uow: StatisticsUowDep):
    lang = request.state.lang
    cells = open_data.published(uow)
    months, years = open_data.periods(cells)
    recent = months[-12:]
    totals = [open_data.value(cells, "province", m) for m in recent]
    year = years[-1] if years else None
    helpers = _helpers(request)
    context = {"months": recent, "totals": totals, "year": year}
    if recent:
        context["trend_svg"] = charts.cached(_key(uow, "public-trend", lang, recent[-1]), lambda: charts.trend(
            recent, totals, label=translate(lang, N_("Reports per month (suppressed months left out)"))))
    if year:
        situations = open_data.by_period(cells, "situation", year)
        platforms = open_data.by_period(cells, "platform", year)
        provinces = open_data.by_period(cells, "province", year)
        prevalence = uow.settings.statistics_prevalence
        rows, national = queries.iceberg_rows(provinces, prevalence)
        context.update(situations=_ordered(situations), platforms=_ordered(platforms), iceberg=rows,
                       national=national, prevalence=prevalence, prevalence_source=PREVALENCE_SOURCE,
                       inputs=population.inputs(), split_parts=population.parts())
        context["map_svg"] = charts.cached(_key(uow, "public-map", lang, year), lambda: charts.tile_map(
            {r.code: r.ratio for r in rows}, {},
            label=translate(lang, N_("Map: children expected to be harmed per child reported, {year}"), year=year),
            legend=translate(lang, N_("Darker: more children unreported")),
            missing=translate(lang, N_("no figure"))))
    return render(request, "statistics/public.html", public_page=True, **helpers, **context)


def _ordered(values: dict) -> list[tuple[str, int | None]]:
    """Largest first; suppressed and zero after; the total left out."""
    rows = [(k, v) for k, v in values.items() if k != TOTAL and v != 0]
    return sorted(rows, key=lambda kv: (kv[1] is None, -(kv[1] or 0), kv[0]))


@public_router.get("/statistik/data.csv", dependencies=[Allowed("public.view")])
def data_csv(uow: StatisticsUowDep):
    return Response(open_data.to_csv(open_data.published(uow)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="safe4c-statistik.csv"'})


@public_router.get("/statistik/data.parquet", dependencies=[Allowed("public.view")])
def data_parquet(uow: StatisticsUowDep):
    return Response(open_data.to_parquet(open_data.published(uow)), media_type="application/vnd.apache.parquet",
                    headers={"Content-Disposition": 'attachment; filename="safe4c-statistik.parquet"'})

