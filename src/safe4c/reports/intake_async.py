"""Intake on the web process's event loop (PostgreSQL; kernel/async_uow.py): the rows ``intake.submit_report``
writes, in two round trips to the database.

1. One statement: the report's INSERT ... RETURNING id, its jobs' INSERT (in data-modifying CTEs reading that
   id) and the sender's rate-limit hit, which returns the new count.
2. COMMIT, or ROLLBACK when the count is over the limit.

The row and its jobs are decided by the same code as the synchronous path (``intake._row``, ``intake._work``),
sealed and triaged before the database is touched; only the way they are sent differs. A unique key clash
(a replay of an Idempotency-Key, or the key used for another report) stores nothing here: the caller then runs
``intake.submit_report``, which tells those cases apart.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import bindparam, func, insert, literal, select

from safe4c.db.tables import Job, Report
from safe4c.kernel import jobs
from safe4c.kernel.async_uow import AsyncUnitOfWork
from safe4c.kernel.ratelimits import FORGET, Check, hit_statement_pg
from safe4c.reports import intake, replay
from safe4c.reports.rules.report import ReportCreate

_R, _J = Report.__table__, Job.__table__
_statements: dict[tuple, object] = {}


def _statement(kinds: tuple[str, ...], counted: bool):
    """The one statement for a report with jobs of these kinds, counting a rate-limit hit or not; built once
    for each shape. Parameters: the report's columns by name, ``job_now``, ``job_kind_<n>``, ``job_priority_<n>``,
    ``rate_minute`` and ``rate_bucket``. Returns (report id, hits or NULL)."""
    found = _statements.get((kinds, counted))
    if found is not None:
        return found
    new = (insert(_R).values({c.name: bindparam(c.name, type_=c.type) for c in _R.columns if c.name != "id"})
           .returning(_R.c.id).cte("new_report"))
    now = bindparam("job_now", type_=_J.c.created_at.type)
    ctes = []
    for n, kind in enumerate(kinds):
        rows = select(bindparam(f"job_kind_{n}", kind, type_=_J.c.kind.type),
                      func.json_build_object(literal("report_id"), new.c.id),
                      bindparam(f"job_priority_{n}", type_=_J.c.priority.type), now, now, literal(0))
        ctes.append(insert(_J).from_select(["kind", "payload", "priority", "created_at", "run_after", "attempts"],
                                           rows).cte(f"new_job_{n}"))
    hits = literal(None)
    if counted:
        hit = hit_statement_pg("rate_minute", "rate_bucket").cte("hit")
        hits = select(hit.c.hits).scalar_subquery()
    stmt = select(new.c.id, hits)
    for cte in ctes:
        stmt = stmt.add_cte(cte)
    _statements[(kinds, counted)] = stmt
    return stmt


async def submit_report(*, uow: AsyncUnitOfWork, report: ReportCreate, channel: str, language: str,
                        idempotency_key: str | None = None, rate: Check | None = None) -> intake.Receipt | None:
    """``intake.submit_report`` in an asynchronous unit of work: the same rows, committed before the answer.
    None, with nothing stored, when a unique key refused the report (see the module's docstring)."""
    submission = (replay.Submission.of(uow.ctx, channel=channel, key=idempotency_key, report=report)
                  if idempotency_key is not None else None)
    values, code = intake._row(uow, report, channel=channel, language=language, platform_escalation=False,
                               submission=submission)
    # The jobs' payloads name the report's id, which the statement itself supplies: decided with a stand-in.
    kinds = tuple(kind for kind, _ in intake._work(uow, report, channel, values, 0))
    urgent = values["priority"] == "P1"  # a P1 report's jobs overtake a burst of ordinary ones (kernel/jobs.py)
    priorities = [jobs.priority_of(kind, urgent=urgent) for kind in kinds]
    params = dict(values, job_now=values["received_at"], **{f"job_priority_{n}": p for n, p in enumerate(priorities)})
    minute = None
    if rate is not None:
        minute = rate.limiter.minute_to_count(uow, scope=rate.scope, bucket=rate.bucket)
        if minute is not None:
            params.update(rate_minute=minute, rate_bucket=rate.bucket)
            if rate.limiter.forget_due(minute):
                await uow.execute(FORGET, {"before": minute - 1})
    try:
        row = await (await uow.execute(_statement(kinds, minute is not None), params)).fetchone()
        if minute is not None:
            rate.limiter.counted(uow, scope=rate.scope, bucket=rate.bucket, minute=minute, hits=row[1])
        if kinds:
            best = min(priorities)
            uow.after_commit.append(lambda: jobs.wake_local(best))  # this process's workers, once committed
        await uow.commit()
    except psycopg.errors.UniqueViolation:
        await uow.rollback()
        return None
    return intake._receipt(values, code)
