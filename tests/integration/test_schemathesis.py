"""Schemathesis against the whole API, from its own OpenAPI document: no input gives a server error, every
response keeps to the document (status codes, content types, bodies: errors in the one shape), valid input is
accepted and invalid input refused.

Bounded (max_examples per operation and mode) so the normal test run stays fast; runs on SQLite and PostgreSQL.
Deep nesting, NUL bytes, huge integers and invalid UTF-8 are sent on purpose by tests/integration/test_fuzz_inputs.py.
"""

from __future__ import annotations

import uuid

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from safe4c.kernel import regions
from safe4c.access import platforms
from safe4c.takedowns import orders as takedowns

MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          positive_data_acceptance, negative_data_rejection]
KEYLESS = ("/api/v1/public/", "/healthz")  # operations that take no key
# A platform report's free text is trimmed with Python's idea of white space (which includes \x1c-\x1f and \x85)
# before its rules apply (not blank, URL and e-mail formats); JSON Schema's regexes (ECMA) cannot say the same, so
# "valid by the schema" can still be refused there with a 422 naming the field. Every other check runs on it.
WORDS_ONLY = "/api/v1/reports"
# Valid by the schema yet refused by state the schema cannot hold: a webhook address must reach a public address
# (DNS decides), and a hash-list cursor must be one the API gave (at most the change log's end). Every other
# check runs on them.
STATEFUL = ("/api/v1/webhook", "/api/v1/signals")


def fuzz_targets(app, uow_factory):
    with uow_factory() as uow:
        made = platforms.create_platform(uow=uow, name="Fuzz Platform", taxonomy_code="tiktok")
    with uow_factory() as uow:
        order = takedowns.issue_order(uow=uow, actor_id=None, order=takedowns.OrderInput(
            platform_id=made.id, target_type="url", target_value="https://example.com/x", category="csam"))
    return made.api_key, order


def test_the_api_keeps_to_its_schema_and_never_fails(app, uow_factory):
    key, order = fuzz_targets(app, uow_factory)
    config = SchemathesisConfig()
    # Unknown query parameters are ignored, as HTTP APIs do; the schema does not forbid them either.
    config.projects.default.generation.update(allow_extra_parameters=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 19
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        takes_input = any(k in operation.definition.raw for k in ("parameters", "requestBody"))
        for mode in GenerationMode if takes_input else [GenerationMode.POSITIVE]:

            @given(case=operation.as_strategy(generation_mode=mode).filter(regions_agree))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                if case.headers and "Idempotency-Key" in case.headers:
                    # A client makes a new key for each new report; the same key with another report is refused
                    # (422), which is state, not schema (tests/integration/test_public_replay.py covers it).
                    case.headers["Idempotency-Key"] = uuid.uuid4().hex
                if case.path_parameters and random_order(case.path_parameters):
                    case.path_parameters["order_id"] = order  # half the time, a real order of this platform
                response = case.call(headers={"Authorization": f"Bearer {key}"})
                lenient = case.path == WORDS_ONLY or case.path in STATEFUL
                checks = CHECKS if not lenient else [c for c in CHECKS if c is not positive_data_acceptance]
                case.validate_response(response, checks=checks, headers={"Authorization": f"Bearer {key}"})
                statuses.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)
                if case.path.startswith(KEYLESS):
                    return
                unauthenticated = case.call()  # without a key: 401 before any validation...
                # ...unless the request cannot even be read (too large, not JSON, text no database can store)
                assert unauthenticated.status_code in (401, 413) or unreadable(unauthenticated), (
                    case.method, case.path, unauthenticated.status_code, unauthenticated.text[:300])

            check()
    # the key worked: the fuzzer got past authentication (not only 401s), and reports were accepted
    assert any(code < 300 for codes in statuses.values() for code in codes), statuses
    assert 201 in statuses["POST /api/v1/public/reports"], statuses


def regions_agree(case) -> bool:
    """The one rule of a public report the schema leaves in words (see domain/report.py: _schema_rules)."""
    body = case.body if isinstance(case.body, dict) else {}
    province, regency = body.get("province_code"), body.get("regency_code")
    if not (isinstance(province, str) and province and isinstance(regency, str) and regency):
        return True
    return case.meta.generation.mode is GenerationMode.NEGATIVE or regions.regency_in_province(regency, province)


def unreadable(response) -> bool:
    """Refused while reading the request (web/inputs.py), before any route's dependency: not JSON, too deep,
    or text no database can store."""
    error = response.json()["error"] if response.status_code == 422 else {}
    return any(f["field"] == "body" or f["message"].startswith("Isian ini berisi karakter")
               for f in error.get("fields", ()))


def random_order(params: dict) -> bool:
    return "order_id" in params and len(str(params["order_id"])) % 2 == 0
