"""Administration pages (/admin): territory import from GeoJSON with the problems listed per
feature, users and their posts (list, create a user with a first post, add a post), and the
dispatch catalogue (read-only). Admin only; the use cases check the role again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role, needs_anchor
from civicgrid.deps import DbSession, Now
from civicgrid.errors import Conflict, DomainError, Forbidden, Invalid
from civicgrid.territory import queries as territory_queries
from civicgrid.territory import service as territory_service
from civicgrid.territory.levels import RegionLevel
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.dispatch_choices import dispatch_catalogue
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

ADMIN = frozenset({Role.ADMIN})
MAX_GEOJSON_BYTES = 50 * 1024 * 1024


@router.get("/admin", include_in_schema=False)
def index(request: Request, actor: PageActor, session: DbSession) -> Response:
    """What the administrator manages, with the size of each."""
    require(actor, ADMIN)
    return render(
        request,
        "admin/index.html",
        {
            "levels": territory_queries.count_regions_by_level(session),
            "level_labels": {lv.value: lv.label for lv in RegionLevel},
            "catalogue_version": dispatch_catalogue().version,
        },
    )


# --- territory import -------------------------------------------------------------------------


def _territory_page(
    request: Request,
    session: Session,
    *,
    problems: list[dict[str, Any]] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/territory.html",
        {
            "levels": territory_queries.count_regions_by_level(session),
            "level_labels": {lv.value: lv.label for lv in RegionLevel},
            "problems": problems or [],
            "message": message,
            "imported": request.query_params.get("imported", ""),
        },
        status_code=status_code,
    )


@router.get("/admin/territory", include_in_schema=False)
def territory_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    require(actor, ADMIN)
    return _territory_page(request, session)


@router.post("/admin/territory", include_in_schema=False)
def territory_import(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    geojson: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import a GeoJSON FeatureCollection, all or nothing; problems are listed per feature."""
    require(actor, ADMIN)
    raw = geojson.file.read(MAX_GEOJSON_BYTES + 1) if geojson and geojson.filename else b""
    if not raw:
        return _territory_page(request, session, message="请选择 GeoJSON 文件", status_code=422)
    if len(raw) > MAX_GEOJSON_BYTES:
        return _territory_page(request, session, message="文件过大（上限 50 MB）", status_code=422)
    return form_actions.perform_refused_by(
        lambda: territory_service.import_geojson(
            session, collection=_geojson(raw), actor=actor, now=now
        ),
        redirect=lambda summary: f"/admin/territory?imported={summary.created}",
        refused_by=lambda exc: _territory_page(
            request,
            session,
            problems=_problems(exc),
            message=exc.message,
            status_code=exc.status_code,
        ),
        refuse=(DomainError,),
    )


def _geojson(raw: bytes) -> object:
    """The uploaded file as JSON, or Invalid naming why it is not."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"不是有效的 GeoJSON 文件：{exc}") from exc


def _problems(exc: DomainError) -> list[dict[str, Any]]:
    """The per-feature problems an import refusal carries in its detail."""
    problems = exc.detail if isinstance(exc.detail, list) else []
    return [p for p in problems if isinstance(p, dict)]


# --- users and posts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostLine:
    role_label: str
    anchor: str
    title: str


@dataclass(frozen=True, slots=True)
class UserLine:
    id: int
    username: str
    display_name: str
    is_active: bool
    posts: list[PostLine]


UNANCHORED_SCOPE = {Role.ADMIN.value: "全局", Role.RESIDENT.value: "仅本人"}
"""What a post without a place reaches, as the users list shows it."""


def _user_lines(session: Session, actor: Actor) -> list[UserLine]:
    """Every account with its posts; the anchors' names are looked up once for all users."""
    users = auth_service.list_users(session, actor=actor)
    region_ids = {p.region_id for u in users for p in u.posts if p.region_id is not None}
    regions = territory_queries.regions_by_ids(session, region_ids)
    departments = {d.id: d.name for d in territory_queries.list_departments(session)}
    utilities = {u.id: u.name for u in territory_queries.list_utilities(session)}
    lines = []
    for user in users:
        posts = []
        for p in sorted(user.posts, key=lambda p: p.id):
            if p.region_id is not None:
                region = regions.get(p.region_id)
                anchor = region.name if region else f"区划 {p.region_id}"
            elif p.department_id is not None:
                anchor = departments.get(p.department_id, f"部门 {p.department_id}")
            elif p.utility_id is not None:
                anchor = utilities.get(p.utility_id, f"企业 {p.utility_id}")
            else:
                anchor = UNANCHORED_SCOPE.get(p.role, "未指定")
            posts.append(PostLine(Role(p.role).label, anchor, p.title))
        lines.append(UserLine(user.id, user.username, user.display_name, user.is_active, posts))
    return lines


def _anchor_choices(session: Session) -> list[tuple[str, str, str]]:
    """(value, name, group) of every place a post can hang on."""
    labels = {lv.value: lv.label for lv in RegionLevel}
    choices = [
        (
            f"region:{r.id}",
            f"{'　' * (RegionLevel(r.level).rank)}{r.name}",
            "区划（" + labels.get(r.level, r.level) + "）",
        )
        for r in territory_queries.all_regions(session)
    ]
    choices += [
        (f"department:{d.id}", d.name, "职能部门")
        for d in territory_queries.list_departments(session)
    ]
    choices += [
        (f"utility:{u.id}", u.name, "公共服务企业")
        for u in territory_queries.list_utilities(session)
    ]
    return choices


@dataclass
class UserForm:
    username: str = ""
    display_name: str = ""
    role: str = Role.OPERATOR.value
    anchor: str = ""
    title: str = ""


def _users_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    form: UserForm | None = None,
    errors: list[str] | None = None,
    post_errors: dict[int, str] | None = None,
    anchor_errors: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The users page; ``anchor_errors`` puts a message beside the anchor field of the create
    form (key 0) or of a user's add-post form (key: user id)."""
    done = request.query_params.get("done", "")
    return render(
        request,
        "admin/users.html",
        {
            "users": _user_lines(session, actor),
            "roles": [(r.value, r.label) for r in Role],
            "anchors": _anchor_choices(session),
            "form": form or UserForm(),
            "errors": errors or [],
            "post_errors": post_errors or {},
            "anchor_errors": anchor_errors or {},
            "flashes": {"user": ["账号已创建。"], "post": ["岗位已添加。"]}.get(done, []),
        },
        status_code=status_code,
    )


_ROLES = {r.value: r for r in Role}


def _chosen_role(role: str) -> Role:
    """The posted role, or Invalid when none (or an unknown one) was chosen."""
    chosen = _ROLES.get(role)
    if chosen is None:
        raise Invalid("请选择角色")
    return chosen


def _missing_anchor(role: str, anchor: str, messages: list[str], key: int) -> dict[int, str]:
    """The refusal's message beside the anchor field when the post lacks a required anchor."""
    chosen = _ROLES.get(role)
    missing = chosen is not None and needs_anchor(chosen) and not anchor.strip()
    return {key: messages[0]} if missing else {}


def _anchor_ids(anchor: str) -> dict[str, int | None]:
    """The anchor field ``kind:id`` as the keyword arguments of the post use cases."""
    kind, _, raw = anchor.partition(":")
    ids: dict[str, int | None] = {"region_id": None, "department_id": None, "utility_id": None}
    if not raw.isdigit():
        return ids
    key = {"region": "region_id", "department": "department_id", "utility": "utility_id"}.get(kind)
    if key is not None:
        ids[key] = int(raw)
    return ids


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    require(actor, ADMIN)
    return _users_page(request, session, actor)


@router.post("/admin/users", include_in_schema=False)
def create_user(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    anchor: Annotated[str, Form(max_length=40)] = "",
    title: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create an account with its first post (one use case); problems re-render with 422."""
    require(actor, ADMIN)
    form = UserForm(username, display_name, role, anchor, title)
    return form_actions.perform(
        lambda: auth_service.create_user_with_post(
            session,
            username=username,
            display_name=display_name,
            password=password,
            role=_chosen_role(role),
            title=title,
            actor=actor,
            now=now,
            **_anchor_ids(anchor),
        ),
        redirect="/admin/users?done=user",
        refused=lambda messages, status: _users_page(
            request,
            session,
            actor,
            form=form,
            errors=messages,
            anchor_errors=_missing_anchor(role, anchor, messages, 0),
            status_code=status,
        ),
        refuse=(DomainError,),
    )


@router.post("/admin/users/{user_id}/posts", include_in_schema=False)
def add_post(
    request: Request,
    user_id: int,
    actor: PageActor,
    session: DbSession,
    now: Now,
    role: Annotated[str, Form(max_length=32)] = "",
    anchor: Annotated[str, Form(max_length=40)] = "",
    title: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Give an existing account another post."""
    require(actor, ADMIN)
    return form_actions.perform(
        lambda: auth_service.add_post(
            session,
            user_id=user_id,
            role=_chosen_role(role),
            title=title,
            actor=actor,
            now=now,
            **_anchor_ids(anchor),
        ),
        redirect="/admin/users?done=post",
        refused=lambda messages, status: _users_page(
            request,
            session,
            actor,
            post_errors={user_id: messages[0]},
            anchor_errors=_missing_anchor(role, anchor, messages, user_id),
            status_code=status,
        ),
        refuse=(Invalid, Conflict, Forbidden),
    )


# --- catalogue --------------------------------------------------------------------------------


OWNER_RULE_LABELS = {
    "street": "属地街乡",
    "department": "职能部门",
    "utility": "公共服务企业",
    "knowledge_base": "知识库直接答复",
    "none": "—",
}


@router.get("/admin/catalogue", include_in_schema=False)
def catalogue(request: Request, actor: PageActor) -> Response:
    """The dispatch catalogue as shipped (read-only)."""
    require(actor, ADMIN)
    cat = dispatch_catalogue()
    return render(
        request,
        "admin/catalogue.html",
        {"catalogue": cat, "owner_labels": OWNER_RULE_LABELS},
    )
