"""The one list of hash kinds (kernel/signals.py): what derives from it, and that using it needs no numpy."""

import subprocess
import sys

from safe4c.kernel.signals import EXACT_DIGESTS, HASH_KINDS, HASH_TYPES, LABELS, SIGNAL_KINDS, SIGNAL_TYPES


def test_the_kinds_and_their_orders():
    assert SIGNAL_KINDS == ("pdq", "md5", "sha1", "sha256", "url")  # storage names: never renamed
    assert HASH_KINDS == ("md5", "sha1", "sha256", "pdq")  # exact digests first, as forms list them
    assert EXACT_DIGESTS == ("md5", "sha1", "sha256")
    assert {k: t.hex_length for k, t in HASH_TYPES.items()} == {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
    assert LABELS == {"pdq": "PDQ", "md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "url": "Link"}
    assert all(SIGNAL_TYPES[k] is t for k, t in HASH_TYPES.items())


def test_the_copies_that_were_are_the_registry():
    from safe4c.networks.rules.identifiers import HASH_KINDS as identifier_hashes, KINDS
    from safe4c.reports.rules.platform_report import ContentItem
    from safe4c.takedowns.orders import HASH_TYPES as order_hash_types

    assert identifier_hashes == order_hash_types == HASH_KINDS
    assert set(HASH_KINDS) < set(KINDS)
    assert [f for f in ContentItem.model_fields if f in SIGNAL_KINDS] == ["url", *HASH_KINDS]


def test_rules_validate_hashes_without_loading_numpy():
    code = ("import sys, safe4c.reports.rules.platform_report, safe4c.networks.rules.identifiers, "
            "safe4c.kernel.signals; print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
