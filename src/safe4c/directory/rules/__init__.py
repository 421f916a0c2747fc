"""Pure rules of the service directory: types, the HSDS shape, coverage. No database, no web framework."""
