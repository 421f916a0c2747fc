"""Every table module, imported once so ``Base.metadata`` knows them all (migrations, tests).

Each area keeps its tables in a module of its own next to ``tables.py``; add it here.
"""

from . import tables  # noqa: F401
from .tables import Base

metadata = Base.metadata
