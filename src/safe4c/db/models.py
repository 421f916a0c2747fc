"""Every table module, imported once so ``Base.metadata`` knows them all (migrations, tests).

Each area keeps its tables in a module of its own next to ``tables.py``; add it here.
"""

from . import tables  # noqa: F401
from . import platforms  # noqa: F401  (platforms, API keys, takedown orders, webhooks)
from . import hashlist  # noqa: F401  (hash banks, entries, change log)
from . import linking  # noqa: F401  (identifiers, clusters, links, workspace, decisions, referrals)
from . import keyring  # noqa: F401  (the fingerprint of the key that sealed the data)
from . import throttle  # noqa: F401  (shared rate counters, failed sign-ins)
from .tables import Base

metadata = Base.metadata
