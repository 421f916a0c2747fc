"""The four priority levels, most urgent first: triage decides a report's level, settings give each its
deadline, and everything else compares them by their place in this tuple."""

PRIORITIES = ("P1", "P2", "P3", "P4")
