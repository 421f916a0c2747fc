"""safe4c: an integrated national system against online child sexual exploitation and abuse."""

__version__ = "0.1.0"
