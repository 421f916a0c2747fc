"""Reports: what a child or a platform tells us, from intake through triage, the queue, the report page,
the reporter's status, and the analyst's decisions on a report."""
