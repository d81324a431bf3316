"""The API's error answers, documented as they are sent (OpenAPI post-processing).

Every operation under ``/api/`` documents the error statuses the app answers with the one body
the error handlers send (:class:`ErrorBody`), instead of FastAPI's default 422
``HTTPValidationError`` (which the app never sends: its 422 carries ``detail`` as a sentence
and the field errors in ``errors``). 429 and 503 document their ``Retry-After`` header.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

ERROR_STATUSES: dict[str, str] = {
    "400": "请求无效 (bad request)",
    "401": "未登录或令牌无效 (not authenticated)",
    "403": "无权执行此操作 (forbidden)",
    "404": "对象不存在或不在数据范围内 (not found or out of scope)",
    "409": "状态已变化、值已被占用或请求仍在处理 (conflict)",
    "422": "输入不符合规则 (invalid input)",
    "429": "请求过于频繁 (too many requests)",
    "503": "数据库暂时不可达 (service unavailable)",
}
_RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
}


class FieldError(BaseModel):
    """One field that failed validation."""

    loc: list[str | int] = Field(description="where: body / query / path / header and the name")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The body of every error answer of the JSON API."""

    detail: str = Field(description="一句中文说明 (a sentence saying what is wrong)")
    error: str | None = Field(
        default=None, description="the error kind: Invalid, NotFound, Conflict, Throttled, …"
    )
    errors: list[FieldError] | list[dict[str, Any]] | None = Field(
        default=None, description="the failing fields (422) or rule details"
    )
    retry_after: int | None = Field(default=None, description="seconds to wait (429, 503)")


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers to every ``/api/`` operation of ``schema`` (in place; returned)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in body_schema.pop("$defs", {}).items():
        components[name] = definition
    components["ErrorBody"] = body_schema
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in ERROR_STATUSES.items():
                answer: dict[str, Any] = {
                    "description": description,
                    "content": {"application/json": {"schema": ref}},
                }
                if status in ("429", "503"):
                    answer["headers"] = _RETRY_AFTER
                existing = responses.get(status)
                if existing is None or _is_default_validation(existing):
                    responses[status] = answer
                elif "application/json" not in existing.get("content", {}):
                    # a route's own description, without a body: give it the real body
                    existing.setdefault("content", {})["application/json"] = {"schema": ref}
                    existing.setdefault("headers", answer.get("headers", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in components and not _referenced(schema, unused):
            del components[unused]
    return schema


def _is_default_validation(response: dict[str, Any]) -> bool:
    content = response.get("content", {}).get("application/json", {})
    return bool(content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"))


def _referenced(schema: dict[str, Any], name: str) -> bool:
    needle = f'"#/components/schemas/{name}"'
    text = json.dumps({k: v for k, v in schema.items() if k != "components"})
    others = {k: v for k, v in schema["components"]["schemas"].items() if k != name}
    return needle in text or needle in json.dumps(others)


def allowed_methods(schema: dict[str, Any], path: str) -> set[str]:
    """The methods the documented operations at ``path`` accept (upper case)."""
    methods: set[str] = set()
    for template, operations in schema.get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods.update(m.upper() for m in operations if m in _HTTP_METHODS)
    return methods


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


async def _http_error(request: Request, exc: Exception) -> Response:
    """405 answers list every method of the path (several routes may share one path, and the
    router names only the first) with the documented body; other HTTP errors as FastAPI
    answers them."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code != 405 or not request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    methods = allowed_methods(request.app.openapi(), request.url.path)
    allow = ", ".join(sorted(methods)) if methods else (exc.headers or {}).get("Allow", "")
    body = {
        "detail": f"不支持的请求方法 {request.method}，允许：{allow}",
        "error": "MethodNotAllowed",
    }
    return JSONResponse(body, status_code=405, headers={"Allow": allow})


def install_contract(app: FastAPI) -> None:
    """Serve the schema with the documented error answers; 405 answers with ``Allow``."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(plain())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(StarletteHTTPException, _http_error)
