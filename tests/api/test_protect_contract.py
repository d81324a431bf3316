"""The API contract is true: every operation documents the error answers the app sends, with
the body it really sends; 405 answers name the allowed methods."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from civicgrid.protect.contract import ERROR_STATUSES, ErrorBody

REF = "#/components/schemas/ErrorBody"


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _api_operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in schema["paths"].items()
        if path.startswith("/api/")
        for method, op in ops.items()
        if isinstance(op, dict) and "responses" in op
    ]


def test_every_api_operation_documents_the_error_answers(schema: dict[str, Any]) -> None:
    operations = _api_operations(schema)
    assert len(operations) > 20
    for path, method, op in operations:
        for status in ERROR_STATUSES:
            answer = op["responses"].get(status)
            assert answer is not None, f"{method.upper()} {path} lacks {status}"
            documented = answer["content"]["application/json"]["schema"]
            if status == "422" and "anyOf" in documented:
                # an import refused row by row answers its report; any other refusal the error body
                assert {"$ref": REF} in documented["anyOf"], f"{method.upper()} {path} 422"
            else:
                assert documented == {"$ref": REF}, f"{method.upper()} {path} {status}"
        assert "Retry-After" in op["responses"]["429"]["headers"]
        assert "Retry-After" in op["responses"]["503"]["headers"]
    assert "HTTPValidationError" not in str([op for _, _, op in operations])


def _is_error_body(body: Any) -> bool:
    if not isinstance(body, dict) or not set(body) <= set(ErrorBody.model_fields):
        return False
    try:
        ErrorBody.model_validate(body)
    except ValidationError:
        return False
    return True


def test_the_real_error_bodies_match_the_documented_one(client: TestClient) -> None:
    answers = {
        401: client.get("/api/v1/appeals"),
        422: client.post("/api/v1/appeals/1/rate", json={"satisfaction": 12}),
        404: client.post(
            "/api/v1/appeals/999999/rate",
            json={
                "resolved": True,
                "satisfaction": "satisfied",
                "number": "X",
                "phone_last4": "0000",
            },
        ),
    }
    for status, response in answers.items():
        assert response.status_code == status, response.text
        assert _is_error_body(response.json()), response.json()
    assert answers[422].json()["errors"], "the failing fields are listed"


def test_a_wrong_method_is_405_with_allow(client: TestClient) -> None:
    response = client.delete("/api/v1/appeals")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert _is_error_body(response.json())
