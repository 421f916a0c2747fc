"""The shared kernel every area stands on: settings, clock, errors, keys and sealing, the unit of work, jobs,
the audit log, shared rate limits, idempotent replays, and the value rules (URLs, addresses, regions, input
checks) that more than one area needs. The kernel imports no area."""
