"""Benchmarks: commands that print figures (`safe4c bench NAME`). Tests never assert timings."""
