"""Demo data for `make run` and `safe4c demo`: synthetic reports, platforms and accounts, never real people."""
