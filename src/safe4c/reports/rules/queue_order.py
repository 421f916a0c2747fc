"""The order of the analysts' default queue (pure).

Untriaged reports come first (their urgency is unknown, so someone must look), then P1 to P4. Within a
priority, reports still waiting for their first action (status ``new``) come before reports an analyst has
already taken up, earliest deadline first, so an overdue new P1 report is never below a P1 report already in
review. ``reports/queue.py`` writes the same order in SQL from ``STATUS_RANK``; a test pins that the two agree.
"""

from __future__ import annotations

from datetime import datetime

from safe4c.kernel.priority import PRIORITIES

AWAITING_FIRST_ACTION = "new"
# status -> place within a priority; any other status comes after these.
STATUS_RANK: dict[str, int] = {AWAITING_FIRST_ACTION: 0}
OTHER_STATUS_RANK = 1


def status_rank(status: str) -> int:
    return STATUS_RANK.get(status, OTHER_STATUS_RANK)


def sort_key(*, priority: str | None, status: str, deadline_at: datetime | None, report_id: int) -> tuple:
    """Sort key of one queue row: untriaged first, then by priority; new before taken up; earliest deadline
    (none first, as the SQL's ``NULLS FIRST``); then arrival (id)."""
    rank = -1 if priority is None else PRIORITIES.index(priority)
    return (rank, status_rank(status), deadline_at is not None, deadline_at or datetime.min, report_id)
