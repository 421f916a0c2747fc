"""Known-content matching: signal types (pdq, md5, sha1, sha256, url), file
hashing and PDQ indexes. Pure library: no database, no web.

See docs/matching.md.
"""

from safe4c.hashlist.matching.errors import InvalidSignal, MatchingError, UnreadableImage
from safe4c.hashlist.matching.hashing import exact_digests, hash_file, hash_image_bytes
from safe4c.hashlist.matching.index import BruteForcePdqIndex, Match, PdqIndex
from safe4c.hashlist.matching.mih_index import COMPACT, FAST, MultiHashParams, MultiHashPdqIndex
from safe4c.hashlist.matching.pdq import PDQ_MATCH_DISTANCE, PDQ_MIN_QUALITY, PdqSignal
from safe4c.hashlist.matching.registry import SIGNAL_TYPES, get_signal_type, normalise_signal
from safe4c.hashlist.matching.signals import SignalType, SignalValue, build_registry
from safe4c.hashlist.matching.url import UrlSignal

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
