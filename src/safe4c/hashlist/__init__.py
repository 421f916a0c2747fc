"""The national hash list: banks of confirmed signals, import and export, the in-memory matcher kept in step
with the database, matching at intake (known material), and the PDQ/exact-hash machinery in ``matching``."""
