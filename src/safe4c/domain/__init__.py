"""Pure business rules: no web framework, no database, no clock of their own."""
