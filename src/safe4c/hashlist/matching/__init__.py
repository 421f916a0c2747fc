"""Known-content matching: file hashing and PDQ indexes (numpy, FAISS). Pure library: no database, no web.

The signal types (pdq, md5, sha1, sha256, url) are the registry in ``safe4c.kernel.signals``, which needs no
numpy; they are re-exported here so the library reads as one.

See docs/matching.md.
"""

from safe4c.hashlist.matching.errors import InvalidSignal, MatchingError, UnreadableImage
from safe4c.hashlist.matching.hashing import exact_digests, hash_file, hash_image_bytes
from safe4c.hashlist.matching.index import BruteForcePdqIndex, Match, PdqIndex
from safe4c.hashlist.matching.mih_index import COMPACT, FAST, MultiHashParams, MultiHashPdqIndex
from safe4c.kernel.signals import (
    PDQ_MATCH_DISTANCE,
    PDQ_MIN_QUALITY,
    SIGNAL_TYPES,
    PdqSignal,
    SignalType,
    SignalValue,
    UrlSignal,
    build_registry,
    get_signal_type,
    normalise_signal,
)

__all__ = [
    "COMPACT",
    "FAST",
    "PDQ_MATCH_DISTANCE",
    "PDQ_MIN_QUALITY",
    "SIGNAL_TYPES",
    "BruteForcePdqIndex",
    "InvalidSignal",
    "Match",
    "MatchingError",
    "MultiHashParams",
    "MultiHashPdqIndex",
    "PdqIndex",
    "PdqSignal",
    "SignalType",
    "SignalValue",
    "UnreadableImage",
    "UrlSignal",
    "build_registry",
    "exact_digests",
    "get_signal_type",
    "hash_file",
    "hash_image_bytes",
    "normalise_signal",
]
