"""Code that platform engineers copy from docs/platform-api.md must work against what safe4c really sends."""

from __future__ import annotations

import re
import time
from pathlib import Path

from safe4c.takedowns.rules import signing as webhooks

DOC = Path(__file__).resolve().parents[2] / "docs" / "platform-api.md"


def documented_verifier():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    code = next(b for b in blocks if "def verify_safe4c" in b)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_safe4c"]


def test_the_documented_verifier_accepts_our_signature_and_nothing_else():
    verify = documented_verifier()
    body = b'{"event": "takedown.issued", "order": {"id": "0c70e361"}}'
    now = int(time.time())
    header = webhooks.sign("whsec_test", now, body)
    assert verify(header, body, "whsec_test")
    assert not verify(header, body + b" ", "whsec_test")  # body changed
    assert not verify(header, body, "whsec_other")  # another secret
    assert not verify(webhooks.sign("whsec_test", now - 3600, body), body, "whsec_test")  # a replay
