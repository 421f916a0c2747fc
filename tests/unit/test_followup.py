from __future__ import annotations

import hashlib
import hmac

from safe4c.reports.rules import followup

KEY = b"k" * 32


def test_codes_are_80_bits_grouped_and_unique():
    codes = {followup.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    code = codes.pop()
    assert len(code) == 19 and code.count("-") == 3
    assert len(followup.ALPHABET) ** followup.CODE_CHARS >= 2 ** 80


def test_hand_copied_codes_still_match():
    code = followup.new_code()
    digest = followup.code_hash(code, key=KEY)
    assert followup.code_hash(code.lower().replace("-", " "), key=KEY) == digest
    assert followup.code_hash("0000-1111-2222-3333", key=KEY) == followup.code_hash("oooo-iiii-2222-3333", key=KEY)


def test_hash_depends_on_key_and_hides_code():
    code = followup.new_code()
    assert followup.code_hash(code, key=KEY) != followup.code_hash(code, key=b"other-key")
    digest = followup.code_hash(code, key=KEY)
    assert digest == hmac.new(KEY, followup.canonical(code).encode(), hashlib.sha256).hexdigest()
    assert digest != hashlib.sha256(followup.canonical(code).encode()).hexdigest()  # keyed, not a plain hash


def test_garbage_is_not_a_code():
    assert followup.code_hash("", key=KEY) is None
    assert followup.code_hash("ABCD-EFGH", key=KEY) is None
    assert followup.code_hash("ABCD-EFGH-JKMN-PQR!", key=KEY) is None


def test_codes_use_the_whole_alphabet_and_nothing_else():
    seen = set("".join(followup.canonical(followup.new_code()) for _ in range(2000)))
    assert seen == set(followup.ALPHABET)
