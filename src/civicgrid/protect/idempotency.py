"""Idempotent writes: an ``Idempotency-Key`` header makes a retried POST safe.

A route opts in with a guard made by :func:`idempotency_guard`. For a request with the header:

1. Before the endpoint, the guard looks for an answer to the same caller, route and key. A
   stored answer to the same body is replayed (nothing new is stored); another body under the
   same key is refused with 422; a claim whose answer is not stored yet gives 409.
2. Otherwise it inserts a *claim* row through the request's own session. The route's use case
   commits the claim together with what it writes, or rolls both back: an appeal committed
   while its client lost the answer always leaves its claim behind, so the retry cannot store
   it twice.
3. After the response, :class:`IdempotencyMiddleware` stores the answer (2xx only) in the claim
   in a short transaction of its own. A non-2xx answer leaves no claim (the use case rolled it
   back), so the client may retry with the same key.

Answers are kept ``idempotency_hours`` (24 by default).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import get_session
from civicgrid.errors import Conflict, Invalid
from civicgrid.protect.models import IdempotentAnswer
from civicgrid.protect.routes import route_template

log = logging.getLogger("civicgrid.protect")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# A claim whose answer is not stored yet.
PENDING = 0
# Where the guard leaves its claim for the middleware.
_CLAIM_SCOPE_KEY = "civicgrid.idempotency_claim"
# Response headers kept with the answer and replayed.
_KEPT_HEADERS = ("location",)


class IdempotentReplay(Exception):
    """Raised by the guard to answer with a stored response (mapped by the app)."""

    def __init__(self, response: Response) -> None:
        super().__init__("replay")
        self.response = response


@dataclass(frozen=True)
class Claim:
    """The claim row of this request, filled by the middleware once the answer is known."""

    answer_id: int


def is_valid_key(key: str) -> bool:
    """1–255 visible ASCII characters (what clients generate: UUIDs, random tokens)."""
    return 0 < len(key) <= 255 and all(33 <= ord(c) <= 126 for c in key)


def body_digest(body: bytes, content_type: str) -> str:
    """SHA-256 of the request body; a JSON body is canonicalised first (key order and spacing
    do not make another request)."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        with contextlib.suppress(ValueError):  # not JSON after all: the raw bytes
            body = json.dumps(
                json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def find_or_claim(
    session: Session,
    *,
    scope: str,
    key: str,
    digest: str,
    now: datetime,
    keep: timedelta,
) -> Response | Claim:
    """The stored answer to replay, or a new claim flushed in ``session`` (joins the caller's
    transaction: the route's use case commits it). Raises Invalid (another body under the same
    key) or Conflict (the first request's answer is not stored yet)."""
    row = session.execute(
        select(IdempotentAnswer).where(
            IdempotentAnswer.scope == scope, IdempotentAnswer.idempotency_key == key
        )
    ).scalar_one_or_none()
    if row is not None and row.expires_at <= now:
        session.execute(delete(IdempotentAnswer).where(IdempotentAnswer.id == row.id))
        row = None
    if row is not None:
        if row.request_sha256 != digest:
            raise Invalid(f"{HEADER} 已用于另一个请求内容，请为新的请求使用新的 {HEADER}")
        if row.status_code == PENDING:
            raise Conflict(f"使用同一 {HEADER} 的请求已受理但结果尚未保存，请稍后查询，勿重复提交")
        headers = json.loads(row.headers_json) if row.headers_json else {}
        headers[REPLAYED_HEADER] = "true"
        return Response(
            row.body, status_code=row.status_code, media_type=row.media_type, headers=headers
        )
    claim = IdempotentAnswer(
        scope=scope,
        idempotency_key=key,
        request_sha256=digest,
        status_code=PENDING,
        media_type="",
        body=b"",
        headers_json="",
        created_at=now,
        expires_at=now + keep,
    )
    session.add(claim)
    try:
        session.flush()
    except IntegrityError as exc:  # the same key arrived twice at once
        raise Conflict(f"使用同一 {HEADER} 的请求正在处理，请勿重复提交") from exc
    return Claim(claim.id)


def store_answer(
    session_factory: sessionmaker[Session],
    claim: Claim,
    *,
    status_code: int,
    media_type: str,
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Fill the claim with the answer (its own short transaction, after the request's)."""
    with session_factory() as session:
        session.execute(
            update(IdempotentAnswer)
            .where(IdempotentAnswer.id == claim.answer_id)
            .values(
                status_code=status_code,
                media_type=media_type,
                body=body,
                headers_json=json.dumps(headers, ensure_ascii=False),
            )
        )
        session.commit()


def purge_expired(session: Session, *, now: datetime) -> int:
    """Delete answers past their keeping time (joins the caller's transaction)."""
    result = session.execute(delete(IdempotentAnswer).where(IdempotentAnswer.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="重试安全：同一键与同一请求内容在 24 小时内只受理一次，"
        "重复提交返回首次结果；同一键配不同内容返回 422",
    ),
]
"""The ``Idempotency-Key`` header parameter (default None), also for an endpoint that claims
by itself (:func:`claim_request`)."""


CallerDependency = Callable[..., Awaitable[str]] | Callable[..., str]


def idempotency_guard(caller: CallerDependency) -> Any:
    """A route dependency honouring ``Idempotency-Key``; use it as
    ``dependencies=[idempotency_guard(caller)]``.

    ``caller`` is a dependency returning a string naming who calls (``"user:12"``,
    ``"open311:3"``): keys are per caller and route. It must be the route's authentication
    dependency or depend on it, so that authentication (which may commit a token's last use in
    the request's session) runs before the claim is written."""

    async def guard(
        request: Request,
        session: Session = Depends(get_session),
        who: str = Depends(caller),
        idempotency_key: KeyHeader = None,
    ) -> None:
        if idempotency_key is None:
            return
        digest = await request_digest(request, idempotency_key)
        await run_in_threadpool(claim_request, request, session, who, idempotency_key, digest)

    return Depends(guard)


async def request_digest(request: Request, key: str) -> str:
    """Check ``key`` (422 when malformed) and digest the request's body (read on the loop)."""
    if not is_valid_key(key):
        raise Invalid(f"{HEADER} 须为 1–255 个可见 ASCII 字符")
    return body_digest(await request.body(), request.headers.get("content-type", ""))


def claim_request(request: Request, session: Session, who: str, key: str, digest: str) -> None:
    """Replay the stored answer to ``who``'s earlier request with ``key`` on this route
    (raises :class:`IdempotentReplay`), or claim the key in ``session`` for the middleware.
    Synchronous: from a guard's thread-pool trip, or from an endpoint's own trip after it
    authenticated the caller (its use case then commits the claim)."""
    settings = request.app.state.settings
    outcome = find_or_claim(
        session,
        scope=f"{request.method} {route_template(request)} {who}"[:200],
        key=key,
        digest=digest,
        now=request.app.state.clock.now(),
        keep=timedelta(hours=settings.idempotency_hours),
    )
    if isinstance(outcome, Response):
        raise IdempotentReplay(outcome)
    request.scope[_CLAIM_SCOPE_KEY] = outcome


def replay_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return exc.response


class IdempotencyMiddleware:
    """Stores the answer of a request whose guard made a claim, once the app has finished
    with it (the request's session is closed by then). Requests without a claim pass through
    untouched, their body streamed as usual."""

    def __init__(self, app: ASGIApp, *, session_factory: sessionmaker[Session]) -> None:
        self.app = app
        self.session_factory = session_factory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if _CLAIM_SCOPE_KEY in scope:
                if message["type"] == "http.response.start":
                    start = message
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        claim = scope.get(_CLAIM_SCOPE_KEY)
        if not isinstance(claim, Claim) or start is None or not 200 <= start["status"] < 300:
            return
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])
        }
        try:
            await run_in_threadpool(
                store_answer,
                self.session_factory,
                claim,
                status_code=start["status"],
                media_type=headers.get("content-type", "application/json"),
                body=b"".join(chunks),
                headers={k: headers[k] for k in _KEPT_HEADERS if k in headers},
            )
        except SQLAlchemyError as exc:
            # The claim stays pending: a retry gets 409, never a second write.
            log.warning("idempotent answer not stored (%s): %s", type(exc).__name__, exc)


def user_scope(actor: Actor) -> str:
    """Whose keys a logged-in user's requests use (token or session alike)."""
    return f"user:{actor.user_id}"


async def user_caller(actor: CurrentActor) -> str:
    """The caller of a route that needs a logged-in user (token or session)."""
    return user_scope(actor)


# For routes behind the user's login: ``dependencies=[IDEMPOTENT_FOR_USER]``.
IDEMPOTENT_FOR_USER = idempotency_guard(user_caller)
