"""The national data centre (docs/statistics.md): rollups kept current by the worker (``rollups.refresh``), the
recount that checks them against raw rows (``recount.differences``), staff dashboards and the open statistics at
``/statistik`` with small-cell suppression. Only counts leave this area; never a report or a child."""

# The pages ``safe4c bench stats`` times (each reads rollups only).
PAGES: tuple[str, ...] = (
    "/statistik",
    "/statistik/data.csv",
    "/statistik/data.parquet",
    "/staff/statistics",
    "/staff/statistics/reports",
    "/staff/statistics/response",
    "/staff/statistics/cases",
    "/staff/statistics/coverage",
    "/staff/statistics/iceberg",
)
