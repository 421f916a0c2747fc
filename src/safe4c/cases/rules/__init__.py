"""Pure rules of case management: plain values in, plain values out (no database, web or jobs)."""
