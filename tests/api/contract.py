"""A bounded schemathesis run over a selection of the JSON API's operations: every operation is
called with derandomised examples and its answers are checked against the documented contract
(status, content type, body schema, headers) and for server errors. Used by the contract tests
(``-m contract``)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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


def check_operations(
    schema: BaseSchema, headers: dict[str, str], *, examples: int
) -> tuple[list[str], dict[str, str]]:
    """Run ``examples`` cases of every operation of ``schema`` with ``headers``; answer the
    operations' labels and the failures by label (schema errors included)."""
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
            max_examples=examples,
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
    return labels, failures
