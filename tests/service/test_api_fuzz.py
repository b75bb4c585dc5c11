"""Schemathesis fuzzes every operation of the OpenAPI document, with valid and invalid input,
authenticated: bad input is always a 4xx problem, never a 500, and answers match the document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from api_support import make_service
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from creative_automation.service.api import create_app
from creative_automation.storage import Scope

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_no_input_makes_a_server_error(tmp_path: Path) -> None:
    service = make_service(tmp_path, rate_limit="100000/minute")
    key, _ = service.store.create_key("fuzz", Scope.ADMIN)
    app = create_app(service)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    cases = st.one_of(
        schema.as_strategy(generation_mode=GenerationMode.POSITIVE),
        schema.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    statuses: set[int] = set()

    @given(case=cases)
    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        # every case is authenticated (the auth tests cover the rest), as an admin so that
        # ids of any campaign the fuzzer created resolve
        headers = {**(case.headers or {}), "X-API-Key": key}
        case.headers = headers
        response = case.call()
        statuses.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    run()
    assert statuses and max(statuses) < 500
    assert 202 in statuses or 422 in statuses  # it did reach the create route's validation
