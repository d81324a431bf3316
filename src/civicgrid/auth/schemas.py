"""Pydantic schemas of the auth JSON API (requests in, responses out)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from civicgrid.auth.actor import Actor
from civicgrid.auth.models import ApiToken, User, WebSession
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import DataScope
from civicgrid.auth.service import PostView


class TokenLogin(BaseModel):
    """Exchange a username and password for an API token."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)
    name: str = Field(default="api", min_length=1, max_length=100, description="令牌用途")
    expires_at: AwareDatetime | None = Field(
        default=None, description="过期时间；不给出时为签发后 token_days 天（默认 90 天）"
    )
    otp: str = Field(
        default="", max_length=40, description="两步验证动态口令或恢复码（已启用两步验证时必填）"
    )


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
    """A new account; the password must have ≥ 10 characters from three of the four classes
    (lower case, upper case, digits, other), must not contain the username and must not be a
    common password."""

    username: str = Field(min_length=2, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=128)


class UserRead(BaseModel):
    """An account with its posts."""

    id: int
    username: str
    display_name: str
    is_active: bool
    locked_until: datetime | None = Field(description="管理员锁定账号的截止时间")
    last_login_at: datetime | None
    created_at: datetime
    must_change_password: bool
    password_changed_at: datetime | None
    totp_enabled: bool
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
            must_change_password=user.must_change_password,
            password_changed_at=user.password_changed_at,
            totp_enabled=user.totp_enabled_at is not None,
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
    """The logged-in user, roles, posts, data scope and pending account actions
    (``password_change``, ``totp_enrolment``)."""

    user: UserRead
    roles: list[RoleRead]
    scope: ScopeRead
    pending: list[str]

    @classmethod
    def of(cls, actor: Actor, user: User, posts: list[PostView]) -> MeRead:
        return cls(
            user=UserRead.of(user, posts),
            roles=[RoleRead.of(r) for r in sorted(actor.roles)],
            scope=ScopeRead.of(actor.scope),
            pending=sorted(actor.pending),
        )


class TokenLoginResult(TokenIssued):
    """The token issued for a password login, with who it belongs to."""

    username: str
    display_name: str


class PasswordChange(BaseModel):
    """Change one's own password."""

    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class PasswordReset(BaseModel):
    """An administrator's temporary password; the user must change it at the next login."""

    new_password: str = Field(min_length=1, max_length=128)


class DeactivateRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="停用原因")


class LockRequest(BaseModel):
    until: AwareDatetime = Field(description="锁定截止时间")
    reason: str = Field(min_length=1, max_length=500, description="锁定原因")


class UnlockResult(BaseModel):
    addresses_cleared: int = Field(description="解除登录失败锁定的客户端地址数")


class PasswordConfirm(BaseModel):
    """The current password, confirming a sensitive change."""

    password: str = Field(min_length=1, max_length=128)


class TotpCode(BaseModel):
    code: str = Field(min_length=1, max_length=10, description="验证器显示的 6 位动态口令")


class TotpStarted(BaseModel):
    """A started 2FA enrolment: type ``secret`` into an authenticator or scan ``uri``."""

    secret: str
    uri: str


class RecoveryCodes(BaseModel):
    """One-time recovery codes, shown this once."""

    recovery_codes: list[str]


class SessionRead(BaseModel):
    """A web session that is still valid."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool

    @classmethod
    def of(cls, row: WebSession, current_hash: str | None) -> SessionRead:
        return cls(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            current=current_hash is not None and row.session_hash == current_hash,
        )


class SessionsRevoked(BaseModel):
    ended: int
