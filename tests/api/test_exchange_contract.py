"""A bounded schemathesis run over the 12345 exchange operations as an administrator (the
suite-wide run in ``test_api_fuzz`` acts as an operator, who only ever gets 403 here): no
server error and no answer outside the documented contract. Run with ``-m contract``."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from tests.api.contract import check_operations
from tests.builders.appeals import World

pytestmark = [pytest.mark.contract, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 25


def test_the_exchange_operations_keep_their_contract(app: FastAPI, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(
        path_regex="^/api/v1/exchange/"
    )
    labels, failures = check_operations(
        schema, world["admin"].headers, examples=EXAMPLES_PER_OPERATION
    )
    assert sorted(labels) == [
        "GET /api/v1/exchange/export",
        "GET /api/v1/exchange/imports",
        "POST /api/v1/exchange/import",
    ]
    assert failures == {}
