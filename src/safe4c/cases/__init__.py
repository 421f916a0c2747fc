"""Cases (docs/cases.md): a child's case opened from a report or a walk-in, consent, the statement told once,
the workflow with its deadlines, the caseload, referrals to services and their follow-up. Pure rules in
``rules/``; use cases beside them (``cases.py`` opening and access, ``consent.py``, ``statements.py``,
``workflow.py``, ``caseload.py``); tables in ``safe4c.db.cases``; pages in ``safe4c.web.pages.cases``."""
