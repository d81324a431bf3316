"""A bounded schemathesis run over the 12345 exchange operations as an administrator (the
suite-wide run in ``test_api_fuzz`` acts as an operator, who only ever gets 403 here): no
server error and no answer outside the documented contract. Run with ``-m contract``."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err
from tests.api.test_api_fuzz import CHECKS
from tests.builders.appeals import World

pytestmark = [pytest.mark.contract, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 25


def test_the_exchange_operations_keep_their_contract(app: FastAPI, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(
        path_regex="^/api/v1/exchange/"
    )
    headers = world["admin"].headers
    failures: dict[str, str] = {}
    labels: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures[f"schema error {len(labels)}"] = str(result.err())
            continue
        operation = result.ok()
        labels.append(operation.label)

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
    assert sorted(labels) == [
        "GET /api/v1/exchange/export",
        "GET /api/v1/exchange/imports",
        "POST /api/v1/exchange/import",
    ]
    assert failures == {}
