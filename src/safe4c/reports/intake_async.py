"""Intake on the web process's event loop (PostgreSQL; kernel/async_uow.py): the rows ``intake.submit_report``
writes, in one statement, so in one round trip to the database: its own transaction in autocommit, committed
before it returns and so before the answer.

The statement is data-modifying CTEs: the sender's rate-limit hit (counted only below the limit), the report's
INSERT ... RETURNING id (only if the hit was counted), its jobs' INSERTs reading that id, and a platform's
``platform_reports`` row. Over the limit it stores and counts nothing and returns no row: ``RateLimited``, as
the synchronous path refuses (it counts, sees the count over the limit and rolls back).

The row and its jobs are decided by the same code as the synchronous path (``intake._row``, ``intake._work``;
a platform's report is prepared by ``platform_intake.prepare``, as there), sealed and triaged before the database
is touched; only the way they are sent differs. A unique key clash
(a replay of an Idempotency-Key, or the key used for another report) stores nothing here: the caller then runs
``intake.submit_report``, which tells those cases apart.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import bindparam, exists, func, insert, literal, select

from safe4c.access.platforms import PlatformPrincipal
from safe4c.db.platforms import PlatformReport
from safe4c.db.tables import Job, Report
from safe4c.kernel import jobs
from safe4c.kernel.async_uow import AsyncUnitOfWork
from safe4c.kernel.errors import Invalid
from safe4c.kernel.ratelimits import FORGET, Check, hit_statement_pg
from safe4c.reports import intake, platform_intake, replay
from safe4c.reports.rules.platform_report import PlatformReportCreate
from safe4c.reports.rules.report import ReportCreate

_R, _J, _P = Report.__table__, Job.__table__, PlatformReport.__table__
_statements: dict[tuple, object] = {}


def _statement(kinds: tuple[str, ...], counted: bool, detail: bool = False):
    """The one statement for a report with jobs of these kinds, counting a rate-limit hit or not, with a
    platform's detail row or not; built once for each shape. Parameters: the report's columns by name,
    ``job_now``, ``job_kind_<n>``, ``job_priority_<n>``, ``rate_minute``, ``rate_bucket`` and ``rate_limit``,
    ``detail_<column>``. Returns the report's id; no row when the rate limit refused it."""
    found = _statements.get((kinds, counted, detail))
    if found is not None:
        return found
    columns = [c for c in _R.columns if c.name != "id"]
    row = select(*(bindparam(c.name, type_=c.type) for c in columns))
    if counted:  # stored only when the hit was counted (below the limit): else nothing, and no row returned
        hit = hit_statement_pg("rate_minute", "rate_bucket", "rate_limit").cte("hit")
        row = row.where(exists(select(hit.c.hits)))
    new = insert(_R).from_select([c.name for c in columns], row).returning(_R.c.id).cte("new_report")
    now = bindparam("job_now", type_=_J.c.created_at.type)
    ctes = []
    for n, kind in enumerate(kinds):
        rows = select(bindparam(f"job_kind_{n}", kind, type_=_J.c.kind.type),
                      func.json_build_object(literal("report_id"), new.c.id),
                      bindparam(f"job_priority_{n}", type_=_J.c.priority.type), now, now, literal(0))
        ctes.append(insert(_J).from_select(["kind", "payload", "priority", "created_at", "run_after", "attempts"],
                                           rows).cte(f"new_job_{n}"))
    if detail:
        names = [c.name for c in _P.columns if c.name != "report_id"]
        rows = select(new.c.id, *(bindparam(f"detail_{name}", type_=_P.c[name].type) for name in names))
        ctes.append(insert(_P).from_select(["report_id", *names], rows).cte("new_detail"))
    stmt = select(new.c.id)
    for cte in ctes:
        stmt = stmt.add_cte(cte)
    _statements[(kinds, counted, detail)] = stmt
    return stmt


async def submit_report(*, uow: AsyncUnitOfWork, report: ReportCreate, channel: str, language: str,
                        idempotency_key: str | None = None, rate: Check | None = None) -> intake.Receipt | None:
    """``intake.submit_report`` in an asynchronous unit of work: the same rows, committed before the answer.
    None, with nothing stored, when a unique key refused the report (see the module's docstring)."""
    submission = (replay.Submission.of(uow.ctx, channel=channel, key=idempotency_key, report=report)
                  if idempotency_key is not None else None)
    values, code = intake._row(uow, report, channel=channel, language=language, platform_escalation=False,
                               submission=submission)
    if not await _store(uow, report, channel, values, rate=rate):
        return None
    return intake._receipt(values, code)


async def submit_platform_report(*, uow: AsyncUnitOfWork, platform: PlatformPrincipal,
                                 report: PlatformReportCreate, idempotency_key: str | None,
                                 language: str = "id") -> platform_intake.PlatformReceipt | None:
    """``platform_intake.submit_platform_report`` in an asynchronous unit of work, for an authorized platform:
    the report, its jobs and its ``platform_reports`` row in one statement. None, with nothing stored, for a
    replay (or a clash) and for an Idempotency-Key the synchronous path refuses: the caller then runs it."""
    try:
        prepared = platform_intake.prepare(uow=uow, platform=platform, report=report, idempotency_key=idempotency_key)
    except Invalid:
        return None  # the synchronous path refuses it, after checking the key in its transaction
    values, _ = intake._row(uow, prepared.report, channel="platform", language=language,
                            platform_escalation=prepared.escalate, submission=None)
    if not await _store(uow, prepared.report, "platform", values, detail=prepared.detail):
        return None
    return platform_intake.PlatformReceipt(values["public_id"], values["received_at"], created=True)


async def _store(uow: AsyncUnitOfWork, report: ReportCreate, channel: str, values: dict, *,
                 rate: Check | None = None, detail: dict | None = None) -> bool:
    """Store the row, its jobs (and count the rate-limit hit, store the platform's detail) in one statement;
    False, nothing stored, when the synchronous path must do it (a unique key refused the row). Raises
    ``RateLimited``, nothing stored or counted, when the sender is at the limit."""
    # The jobs' payloads name the report's id, which the statement itself supplies: decided with a stand-in.
    work = intake._work(uow, report, channel, values, 0)
    if any(payload != {"report_id": 0} for _, payload in work):
        return False  # a job that needs more than the id: written by the synchronous path (none today)
    kinds = tuple(kind for kind, _ in work)
    urgent = values["priority"] == "P1"  # a P1 report's jobs overtake a burst of ordinary ones (kernel/jobs.py)
    priorities = [jobs.priority_of(kind, urgent=urgent) for kind in kinds]
    params = dict(values, job_now=values["received_at"], **{f"job_priority_{n}": p for n, p in enumerate(priorities)})
    if detail is not None:
        params.update({f"detail_{name}": value for name, value in detail.items()})
    counting = rate.limiter.to_count(uow, scope=rate.scope, bucket=rate.bucket) if rate is not None else None
    if counting is not None:
        minute, limit = counting
        params.update(rate_minute=minute, rate_bucket=rate.bucket, rate_limit=limit)
        if rate.limiter.forget_due(minute):
            await uow.execute(FORGET, {"before": minute - 1})
    try:
        # One statement in autocommit: committed (or not stored at all) when it returns.
        row = await (await uow.execute(_statement(kinds, counting is not None, detail is not None), params)).fetchone()
    except psycopg.errors.UniqueViolation:
        return False
    if row is None:  # the rate limit: nothing was stored or counted
        rate.limiter.refuse(scope=rate.scope, bucket=rate.bucket, minute=counting[0], limit=counting[1])
    if kinds:
        jobs.wake_local(min(priorities))  # this process's workers, now that the jobs are committed
    return True
