"""The workflow actions, one ``POST /{appeal_id}/<path>`` per endpoint of the action table
(:mod:`civicgrid.appeals.actions`): the body is the row's request schema, the answer the new
detail. Every endpoint has one shape and one error mapping."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from civicgrid.appeals import actions
from civicgrid.appeals.api.deps import Cipher, Media, detail_after
from civicgrid.appeals.schemas import AppealRead
from civicgrid.auth.deps import CurrentActor
from civicgrid.deps import DbSession, Now

router = APIRouter()


def _register(path: str, row: actions.ActionRow) -> None:
    """``POST /{appeal_id}/<path>``: take the row's action and answer the new detail."""

    def endpoint(
        appeal_id: int,
        body: Any,
        session: DbSession,
        actor: CurrentActor,
        now: Now,
        cipher: Cipher,
        media: Media,
    ) -> AppealRead:
        call = actions.ActionCall(session, appeal_id, actor, now, media)
        actions.take(row, body, call)
        return detail_after(session, actor, appeal_id, cipher, now)

    summary = " / ".join(r.summary for r in actions.ROWS if r.path == path)
    endpoint.__annotations__["body"] = row.request
    endpoint.__name__ = path.replace("/", "_").replace("-", "_")
    endpoint.__doc__ = f"{summary}。"
    router.post(
        f"/{{appeal_id}}/{path}",
        response_model=AppealRead,
        summary=summary,
        operation_id=f"appeal_{endpoint.__name__}",
    )(endpoint)


for _path, _row in actions.ENDPOINTS.items():
    _register(_path, _row)
