"""Cases (to come, issue 10): a child's case opened from a report or a walk-in, consent, the statement told
once, referrals to services and their follow-up. Rules in ``rules.py``, use cases beside them, queries in
``queries.py``; tables in ``safe4c.db``; pages in ``safe4c.web.pages.cases``."""
