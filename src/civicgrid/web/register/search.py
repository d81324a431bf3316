"""The register (人房) search page (/register) for grid workers, street handlers and their
supervisors: residents in the actor's data scope by name, phone, ID number, tag, address or
grid. Names are masked by the template filter; ID numbers and phones show their stored masked
form (revealing them is an audited action on the person's page, ``web.register.residents``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from civicgrid.deps import DbSession
from civicgrid.errors import Invalid
from civicgrid.register import queries as register_queries
from civicgrid.register.rules import READ_ROLES, WRITE_ROLES
from civicgrid.territory import queries as territory_queries
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.forms import Cipher, require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class ResidentLine:
    id: int
    name: str
    gender: str
    birth_year: int
    id_no_masked: str
    phone_masked: str
    grid: str
    tags: list[str]


GENDER_LABELS = {"M": "男", "F": "女", "男": "男", "女": "女"}


@router.get("/register", include_in_schema=False)
def register_search(
    request: Request,
    actor: PageActor,
    session: DbSession,
    cipher: Cipher,
    name: Annotated[str, Query(max_length=50)] = "",
    phone: Annotated[str, Query(max_length=30)] = "",
    id_no: Annotated[str, Query(max_length=18)] = "",
    tag: Annotated[str, Query(max_length=50)] = "",
    address: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Residents in scope matching every given criterion, a page at a time."""
    require(actor, READ_ROLES)
    criteria = register_queries.ResidentSearch(
        name=name, id_no=id_no, phone=phone, tag=tag, address=address
    )
    error = ""
    try:
        residents, total = register_queries.search_residents_for(
            session, actor, criteria, cipher=cipher, limit=PAGE_SIZE, offset=offset
        )
    except Invalid as exc:  # a term too short for a large scope: say so above the list
        residents, total, error = [], 0, exc.message
    ids = [r.id for r in residents]
    tags = register_queries.resident_tags(session, ids)
    grids = territory_queries.regions_by_ids(session, {r.grid_id for r in residents})
    lines = [
        ResidentLine(
            id=r.id,
            name=r.name,
            gender=GENDER_LABELS.get(r.gender, r.gender),
            birth_year=r.birth_on.year,
            id_no_masked=r.id_no_masked,
            phone_masked=r.phone_masked,
            grid=grids[r.grid_id].name if r.grid_id in grids else "",
            tags=tags.get(r.id, []),
        )
        for r in residents
    ]
    query = {"name": name, "phone": phone, "id_no": id_no, "tag": tag, "address": address}
    base = urlencode({k: v for k, v in query.items() if v})
    return render(
        request,
        "register/search.html",
        {
            "lines": lines,
            "total": min(total, register_queries.RESIDENT_COUNT_CAP),
            "total_capped": total > register_queries.RESIDENT_COUNT_CAP,
            "error": error,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "query": query,
            "base": base,
            "tags": [(t.name, t.name) for t in register_queries.list_tags(session)],
            "can_write": actor.has_role(*WRITE_ROLES),
        },
        fragment="register/_results.html",
        status_code=422 if error else 200,
    )
