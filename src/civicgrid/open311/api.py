"""The Open311 GeoReport v2 router (``/open311/discovery.{json,xml}``, ``/open311/v2/…``).

Routes parse the protocol's parameters, call one query or use case and answer in the format
of the path's suffix. Errors take the protocol's own form, whatever raised them: HTTP 400
(bad parameter), 403 (api_key), 404 (unknown resource), 429 (the key's rate limit) with
``[{code, description}]`` or ``<errors><error>…`` — the route class below catches them before
the application's JSON error handlers would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from civicgrid.appeals.service.intake import MediaPolicy
from civicgrid.config import Settings
from civicgrid.deps import DbSession, Now, field_cipher, settings_of
from civicgrid.errors import (
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Throttled,
    Unauthenticated,
)
from civicgrid.media.store import LocalMediaStore
from civicgrid.open311 import queries, rules, schemas, service, xml
from civicgrid.protect.idempotency import idempotency_guard
from civicgrid.protect.throttle import ThrottleDep, client_ip

THROTTLE_NAME = "open311-key"
BAD_KEY_THROTTLE_NAME = "open311-bad-key-ip"
_STATUS = {Invalid: 400, Unauthenticated: 403, Forbidden: 403, NotFound: 404}


def _error_status(exc: Exception) -> int:
    if isinstance(exc, RequestValidationError):
        return 400
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return status
    assert isinstance(exc, DomainError)
    return 400 if exc.status_code == 422 else exc.status_code


def error_response(request: Request, exc: Exception) -> Response:
    """The protocol's error answer for ``exc``, in the format of the request's suffix."""
    status = _error_status(exc)
    if isinstance(exc, DomainError):
        descriptions = [exc.message]
    else:
        assert isinstance(exc, RequestValidationError)
        descriptions = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    rows = schemas.error_rows(status, descriptions)
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    fmt = str(request.path_params.get("fmt", "json")).lower()
    if fmt == rules.Format.XML.value:
        return Response(xml.render_list("errors", "error", rows), status, headers, XML_TYPE)
    return JSONResponse(rows, status, headers)


OUT_OF_RANGE = Invalid("请求中的数值或文本超出允许范围 (a value in the request is out of range)")


NUL_IN_QUERY = Invalid("查询参数含有空字符 (NUL characters are not allowed)")


class Open311Route(APIRoute):
    """Answers every domain error and parameter error in the protocol's error form."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            if any("\x00" in value for value in request.query_params.values()):
                return error_response(request, NUL_IN_QUERY)
            try:
                return await handler(request)
            except (DomainError, RequestValidationError) as exc:
                return error_response(request, exc)
            except DataError:  # a value the database cannot hold (e.g. NUL in a query)
                return error_response(request, OUT_OF_RANGE)

        return answer


router = APIRouter(prefix="/open311", tags=["open311"], route_class=Open311Route)
XML_TYPE = "text/xml; charset=utf-8"
Text = Annotated[str, Query()]


def _answer(fmt: rules.Format, root: str, item: str, rows: list[schemas.Row]) -> Response:
    if fmt is rules.Format.XML:
        return Response(xml.render_list(root, item, rows), media_type=XML_TYPE)
    return JSONResponse(rows)


def _settings(request: Request) -> Settings:
    return settings_of(request)


AppSettings = Annotated[Settings, Depends(_settings)]


def _jurisdiction(settings: Settings, given: str) -> None:
    rules.check_jurisdiction(
        given,
        settings.open311_jurisdiction_id,
        required=settings.open311_jurisdiction_required,
    )


def _services(session: Session) -> list[rules.Service]:
    return rules.services_of(queries.active_items(session))


@router.get("/discovery.{fmt}", summary="Open311 discovery")
def discovery(fmt: str, request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Where the GeoReport v2 endpoint is and what it speaks."""
    answer_fmt = rules.answer_format(fmt)
    changed = schemas.when(queries.catalogue_changed_at(session))
    body: schemas.Row = {
        "changeset": changed,
        "contact": settings.open311_contact,
        "key_service": settings.open311_key_service,
        "endpoints": [
            {
                "specification": rules.SPECIFICATION,
                "url": str(request.base_url).rstrip("/") + router.prefix + "/v2",
                "changeset": changed,
                "type": settings.open311_endpoint_type,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    if answer_fmt is rules.Format.XML:
        return Response(xml.render_object("discovery", body), media_type=XML_TYPE)
    return JSONResponse(body)


@router.get("/v2/services.{fmt}", summary="Open311 service list")
def list_services(
    fmt: str, session: DbSession, settings: AppSettings, jurisdiction_id: Text = ""
) -> Response:
    """The level-3 items of the dispatch catalogue; group = the first-level category."""
    answer_fmt = rules.answer_format(fmt)
    _jurisdiction(settings, jurisdiction_id)
    rows = [schemas.service_row(s) for s in _services(session)]
    return _answer(answer_fmt, "services", "service", rows)


@router.get("/v2/services/{service_code}.{fmt}", summary="Open311 service definition")
def service_definition(
    service_code: str,
    fmt: str,
    session: DbSession,
    settings: AppSettings,
    jurisdiction_id: Text = "",
) -> Response:
    """The attributes (extra data) a service asks for."""
    answer_fmt = rules.answer_format(fmt)
    _jurisdiction(settings, jurisdiction_id)
    found = next((s for s in _services(session) if s.code == service_code), None)
    if found is None:
        raise NotFound(f"未知的 service_code：{service_code} (unknown service_code)")
    body = schemas.definition_row(found)
    if answer_fmt is rules.Format.XML:
        return Response(xml.render_object("service_definition", body), media_type=XML_TYPE)
    return JSONResponse(body)


async def _form_fields(request: Request) -> list[tuple[str, str]]:
    """The posted form's fields (form-encoded or multipart; uploaded files are refused)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Invalid(
            "请以表单编码（application/x-www-form-urlencoded）提交 "
            "(POST requests must be form-encoded)"
        )
    await request.body()  # cached first, so the Idempotency-Key guard can digest it too
    form = await request.form()
    fields = []
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise Invalid("不接受上传文件，请用 media_url 给出照片链接 (use media_url for photos)")
        if "\x00" in value:  # PostgreSQL text cannot hold it; never meaningful in a report
            raise Invalid(f"参数 {key} 含有空字符 (NUL characters are not allowed)")
        fields.append((key, value))
    return fields


FormFields = Annotated[list[tuple[str, str]], Depends(_form_fields)]
_FORM_KEYS = (
    "service_code",
    "description",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "media_url",
)


def _request_form(fields: Sequence[tuple[str, str]]) -> service.RequestForm:
    values: dict[str, str] = {}
    for key, value in fields:
        if key in _FORM_KEYS:
            values.setdefault(key, value)
    return service.RequestForm(
        **{k: values.get(k, "") for k in _FORM_KEYS},
        attributes=rules.attribute_values(fields),
    )


def _client_id(
    fmt: str,
    request: Request,
    fields: FormFields,
    session: DbSession,
    settings: AppSettings,
    throttle: ThrottleDep,
) -> int:
    """The client application filing a request, after the throttles: wrong keys count against
    the client address like failed logins (``throttle_login_ip``), so keys cannot be guessed
    (an address over the limit is refused before its key is read); a good key counts against
    its own rate limit. Leaves the session without an open transaction."""
    rules.answer_format(fmt)
    ip = client_ip(request)
    wait = throttle.test(BAD_KEY_THROTTLE_NAME, ip, settings.throttle_login_ip)
    if wait is not None:
        raise Throttled(wait)
    given = dict(fields)
    _jurisdiction(settings, given.get("jurisdiction_id", ""))
    try:
        client = service.authenticate(session, given.get("api_key", ""))
    except Forbidden:
        session.rollback()  # end the read before the throttle's own transaction (SQLite)
        throttle.hit(BAD_KEY_THROTTLE_NAME, ip, settings.throttle_login_ip)
        raise
    client_id, limit = client.id, f"{client.rate_limit_per_minute}/minute"
    session.rollback()  # end the key read before the throttle's own transaction (SQLite)
    throttle.enforce(THROTTLE_NAME, str(client_id), limit)
    return client_id


ClientId = Annotated[int, Depends(_client_id)]


async def _caller(client_id: ClientId) -> str:
    """Who calls, for ``Idempotency-Key``: keys are per client application."""
    return f"open311:{client_id}"


@router.post(
    "/v2/requests.{fmt}",
    summary="Open311: file a service request",
    dependencies=[idempotency_guard(_caller)],
)
def create_request(
    fmt: str,
    fields: FormFields,
    client_id: ClientId,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Response:
    """File a request (form-encoded, ``api_key`` required) through the intake of every channel.
    With an ``Idempotency-Key`` header a retry (same key, same body, within 24 hours) gets the
    first answer again and files nothing."""
    answer_fmt = rules.answer_format(fmt)
    media = MediaPolicy(
        store=LocalMediaStore(settings.media_dir), max_bytes=settings.media_max_bytes
    )
    record = service.file_request(
        session,
        client_id=client_id,
        form=_request_form(fields),
        cipher=field_cipher(settings),
        media=media,
        now=now,
    )
    rows = [schemas.created_row(record.service_request_id, record.account_id)]
    return _answer(answer_fmt, "service_requests", "request", rows)


def _service_names(session: Session) -> dict[str, str]:
    return {item.code: item.name for item in queries.active_items(session) if item.level == 3}


@router.get("/v2/requests.{fmt}", summary="Open311: service requests")
def list_requests(
    fmt: str,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    jurisdiction_id: Text = "",
    service_request_id: Text = "",
    service_code: Text = "",
    start_date: Text = "",
    end_date: Text = "",
    status: Text = "",
    page: Text = "",
    page_size: Text = "",
) -> Response:
    """Requests filed through Open311, newest first: by ids (which override the rest), or by
    service code, status and a window of at most 90 days (default: the last 90 days); at most
    1,000 a page (``page``/``page_size``)."""
    answer_fmt = rules.answer_format(fmt)
    _jurisdiction(settings, jurisdiction_id)
    size = (
        rules.parse_positive(page_size, "page_size", maximum=rules.MAX_PAGE_SIZE)
        if page_size
        else rules.MAX_PAGE_SIZE
    )
    number = rules.parse_positive(page, "page", maximum=10**6) if page else 1
    if service_request_id.strip():
        flt = queries.RequestFilter(ids=rules.split_list(service_request_id, "service_request_id"))
    else:
        start = rules.parse_time(start_date, "start_date") if start_date.strip() else None
        end = rules.parse_time(end_date, "end_date") if end_date.strip() else None
        start, end = rules.request_window(start, end, now=now)
        flt = queries.RequestFilter(
            service_codes=rules.split_list(service_code, "service_code")
            if service_code.strip()
            else (),
            start=start,
            end=end,
            statuses=rules.statuses_for(rules.parse_statuses(status)) if status.strip() else None,
        )
    views = queries.list_requests(session, flt, offset=(number - 1) * size, limit=size)
    names = _service_names(session)
    rows = [schemas.request_row(v, names) for v in views]
    return _answer(answer_fmt, "service_requests", "request", rows)


@router.get("/v2/requests/{service_request_id}.{fmt}", summary="Open311: one service request")
def get_request(
    service_request_id: str,
    fmt: str,
    session: DbSession,
    settings: AppSettings,
    jurisdiction_id: Text = "",
) -> Response:
    answer_fmt = rules.answer_format(fmt)
    _jurisdiction(settings, jurisdiction_id)
    view = queries.get_request(session, service_request_id)
    rows = [schemas.request_row(view, _service_names(session))]
    return _answer(answer_fmt, "service_requests", "request", rows)


@router.get("/v2/servicerequestupdates.{fmt}", summary="FixMyStreet: request updates")
def request_updates(
    fmt: str,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    jurisdiction_id: Text = "",
    start_date: Text = "",
    end_date: Text = "",
) -> Response:
    """The public steps of Open311 requests in a window of at most 90 days (default: the last
    90 days), oldest first, at most 1,000: FixMyStreet's extension for following replies."""
    answer_fmt = rules.answer_format(fmt)
    _jurisdiction(settings, jurisdiction_id)
    start = rules.parse_time(start_date, "start_date") if start_date.strip() else None
    end = rules.parse_time(end_date, "end_date") if end_date.strip() else None
    start, end = rules.request_window(start, end, now=now)
    steps = queries.request_updates(session, since=start, until=end, limit=rules.MAX_PAGE_SIZE)
    rows = [schemas.update_row(s) for s in steps]
    return _answer(answer_fmt, "service_request_updates", "request_update", rows)
