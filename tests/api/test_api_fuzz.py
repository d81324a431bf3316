"""A bounded schemathesis run over the JSON API as an operator: no server errors and no
answer outside the documented contract (status, content type, body schema, headers).

Five examples per operation, derandomised; run with ``-m contract`` (CI runs it)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.builders.appeals import World

pytestmark = [pytest.mark.contract, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 5
# Server errors and the answers' contract. (How precisely each request schema describes the
# rules the use cases check — schemathesis' positive/negative data checks — is not asserted:
# a use case may refuse schema-valid input with a documented 422.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_api_keeps_its_contract(app: FastAPI, world: World) -> None:
    # The JSON API; the Open311 endpoints answer in the GeoReport error format of their own.
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(
        path_regex="^/api/"
    )
    headers = world["operator"].headers
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures[f"schema error {operations}"] = str(result.err())
            continue
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collected: all failing operations
            failures[operation.label] = " | ".join(str(exc).splitlines()[:12])[:600]
    assert operations > 20
    assert failures == {}
