"""Every table module, imported once so ``Base.metadata`` knows them all (migrations, tests).

Each area keeps its tables in a module of its own next to ``tables.py``; add it here.
"""

from safe4c.db import tables  # noqa: F401
from safe4c.db import platforms  # noqa: F401  (platforms, API keys, takedown orders, webhooks)
from safe4c.db import hashlist  # noqa: F401  (hash banks, entries, change log)
from safe4c.db import linking  # noqa: F401  (identifiers, clusters, links, workspace, decisions, referrals)
from safe4c.db import keyring  # noqa: F401  (the fingerprint of the key that sealed the data)
from safe4c.db import throttle  # noqa: F401  (shared rate counters, failed sign-ins)
from safe4c.db import directory  # noqa: F401  (the service directory, HSDS-shaped)
from safe4c.db import statistics  # noqa: F401  (the national data centre's rollups)
from safe4c.db.tables import Base

metadata = Base.metadata
