"""The national data centre (to come, issue 11): rollups of reports, takedowns and cases, the iceberg
estimate, dashboards for staff and open statistics with small-cell suppression."""
