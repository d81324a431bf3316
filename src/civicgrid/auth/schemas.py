"""Pydantic schemas of the auth JSON API (requests in, responses out)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from civicgrid.auth.actor import Actor
from civicgrid.auth.models import ApiToken, User
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import DataScope
from civicgrid.auth.service import PostView


class TokenLogin(BaseModel):
    """Exchange a username and password for an API token."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)
    name: str = Field(default="api", min_length=1, max_length=100, description="令牌用途")
    expires_at: AwareDatetime | None = None


class TokenCreate(BaseModel):
    """A new token for the logged-in user."""

    name: str = Field(min_length=1, max_length=100, description="令牌用途")
    expires_at: AwareDatetime | None = None


class TokenRead(BaseModel):
    """A token as listed (never the secret itself)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    token_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenRead:
        return cls.model_validate(token)


class TokenIssued(TokenRead):
    """A freshly issued token; ``token`` is shown this once and cannot be retrieved later."""

    token: str

    @classmethod
    def issued(cls, token: ApiToken, plain: str) -> TokenIssued:
        return cls(**TokenRead.of(token).model_dump(), token=plain)


class RoleRead(BaseModel):
    code: Role
    label: str

    @classmethod
    def of(cls, role: Role) -> RoleRead:
        return cls(code=role, label=role.label)


class PostRead(BaseModel):
    """A post: a role held at a region, a department or a utility."""

    id: int
    role: Role
    role_label: str
    title: str
    region_id: int | None
    department_id: int | None
    utility_id: int | None
    anchor_name: str

    @classmethod
    def of(cls, post: PostView) -> PostRead:
        return cls(
            id=post.id,
            role=post.role,
            role_label=post.role.label,
            title=post.title,
            region_id=post.region_id,
            department_id=post.department_id,
            utility_id=post.utility_id,
            anchor_name=post.anchor_name,
        )


class PostCreate(BaseModel):
    """Give a user a post. At most one anchor; department and utility handlers need theirs."""

    role: Role
    region_id: int | None = None
    department_id: int | None = None
    utility_id: int | None = None
    title: str = Field(default="", max_length=100)


class UserCreate(BaseModel):
    """A new account; the password must have ≥ 8 characters with letters and digits."""

    username: str = Field(min_length=2, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=128)


class UserRead(BaseModel):
    """An account with its posts."""

    id: int
    username: str
    display_name: str
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    posts: list[PostRead]

    @classmethod
    def of(cls, user: User, posts: list[PostView]) -> UserRead:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            is_active=user.is_active,
            locked_until=user.locked_until,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
            posts=[PostRead.of(p) for p in posts],
        )


class ScopeRead(BaseModel):
    """What the actor may see: everything, or regions (by materialised path) and units."""

    is_global: bool
    region_paths: list[str]
    department_ids: list[int]
    utility_ids: list[int]

    @classmethod
    def of(cls, scope: DataScope) -> ScopeRead:
        return cls(
            is_global=scope.is_global,
            region_paths=list(scope.minimal_paths()),
            department_ids=sorted(scope.department_ids),
            utility_ids=sorted(scope.utility_ids),
        )


class MeRead(BaseModel):
    """The logged-in user, roles, posts and data scope."""

    user: UserRead
    roles: list[RoleRead]
    scope: ScopeRead

    @classmethod
    def of(cls, actor: Actor, user: User, posts: list[PostView]) -> MeRead:
        return cls(
            user=UserRead.of(user, posts),
            roles=[RoleRead.of(r) for r in sorted(actor.roles)],
            scope=ScopeRead.of(actor.scope),
        )


class TokenLoginResult(TokenIssued):
    """The token issued for a password login, with who it belongs to."""

    username: str
    display_name: str
