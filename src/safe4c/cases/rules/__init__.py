"""Pure rules of case management: agency types and regions, workflow stages and deadlines, consent. No database,
no web framework: plain values in, plain values out (tested in tests/unit)."""
