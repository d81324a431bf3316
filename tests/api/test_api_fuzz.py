"""A bounded schemathesis run over the JSON API as an operator: no server errors and no
answer outside the documented contract (status, content type, body schema, headers).

Five examples per operation, derandomised; run with ``-m contract`` (CI runs it)."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from tests.api.contract import check_operations
from tests.builders.appeals import World

pytestmark = [pytest.mark.contract, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 5


def test_the_api_keeps_its_contract(app: FastAPI, world: World) -> None:
    # The JSON API; the Open311 endpoints answer in the GeoReport error format of their own.
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(
        path_regex="^/api/"
    )
    labels, failures = check_operations(
        schema, world["operator"].headers, examples=EXAMPLES_PER_OPERATION
    )
    assert len(labels) > 20
    assert failures == {}
