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


def test_the_documented_verifier_accepts_both_signatures_of_a_rotation():
    verify = documented_verifier()
    body = b'{"type": "webhook.test"}'
    header = webhooks.sign("whsec_new", int(time.time()), body, previous="whsec_old")
    assert verify(header, body, "whsec_new") and verify(header, body, "whsec_old")
    assert not verify(header, body, "whsec_other")


EXAMPLE = DOC.parents[1] / "examples" / "platform_client.py"


def test_the_worked_integration_quoted_in_the_guide_is_the_script_ci_runs():
    quoted = re.findall(r"<!-- quoted from examples/platform_client.py -->\n```python\n(.*?)```", DOC.read_text(),
                        re.S)
    script = EXAMPLE.read_text()
    assert len(quoted) >= 4
    for block in quoted:
        assert block in script, block[:200]
    # and the script's own verifier is the guide's
    assert "def verify_safe4c(header: str, raw_body: bytes, secret: str, tolerance: int = 300) -> bool:" in script
