"""Pure rules of the national data centre: what a report counts for, small-cell suppression, the iceberg."""
