"""Account lifecycle (等保 2.0 身份鉴别): own password change, admin reset forcing a change,
deactivation, admin lock and unlock, session list and revoke-all, token lifetime, and TOTP
two-factor login with one-time recovery codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, make_user

from civicgrid.audit.service import list_entries
from civicgrid.auth import service, totp
from civicgrid.auth.actor import PENDING_PASSWORD_CHANGE, PENDING_TOTP_ENROLMENT, Actor
from civicgrid.auth.models import User
from civicgrid.auth.roles import Role
from civicgrid.auth.service import BAD_CREDENTIALS
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.errors import Conflict, Forbidden, Invalid, Unauthenticated

PASSWORD = "Passw0rd!x"
NEW_PASSWORD = "Hua-Shan-Road-77"


@pytest.fixture
def user(session: Session, clock: FrozenClock) -> User:
    user, _ = make_user(
        session, role=Role.OPERATOR, username="operator1", password=PASSWORD, now=clock.now()
    )
    return user


@pytest.fixture
def admin(session: Session, clock: FrozenClock) -> Actor:
    user, _ = make_user(session, role=Role.ADMIN, username="root", now=clock.now())
    return service.actor_for_user(session, user.id)


def _me(session: Session, user: User) -> Actor:
    return service.actor_for_user(session, user.id)


def _login(
    session: Session,
    clock: FrozenClock,
    settings: Settings,
    password: str = PASSWORD,
    otp: str = "",
) -> tuple[Actor, str, str]:
    return service.login(
        session,
        username="operator1",
        password=password,
        now=clock.now(),
        settings=settings,
        ip="10.0.0.8",
        otp=otp,
    )


def test_change_own_password_ends_the_other_sessions_only(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _a, here, _c = _login(session, clock, settings)
    _a, elsewhere, _c = _login(session, clock, settings)
    service.change_password(
        session,
        user_id=user.id,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        actor=_me(session, user),
        now=clock.now(),
        keep_session_hash=service.session_hash_of_cookie(here, settings),
    )
    service.actor_for_session(session, cookie_value=here, now=clock.now(), settings=settings)
    with pytest.raises(Unauthenticated):
        service.actor_for_session(
            session, cookie_value=elsewhere, now=clock.now(), settings=settings
        )
    with pytest.raises(Unauthenticated, match=BAD_CREDENTIALS[:8]):
        _login(session, clock, settings)
    assert _login(session, clock, settings, NEW_PASSWORD)[0].user_id == user.id
    (entry,) = list_entries(session, action="auth.password_change")
    assert entry.detail == {"sessions_ended": 1}


@pytest.mark.parametrize(
    ("current", "new", "fragment"),
    [
        ("wrong", NEW_PASSWORD, "当前密码不正确"),
        (PASSWORD, "short", "10 个字符"),
        (PASSWORD, PASSWORD, "不能与当前密码相同"),
        (PASSWORD, "operator1-Ab", "不能包含用户名"),
        (PASSWORD, "P@ssw0rd123", "过于常见"),
    ],
)
def test_change_password_refusals_leave_the_password_alone(
    session: Session,
    clock: FrozenClock,
    settings: Settings,
    user: User,
    current: str,
    new: str,
    fragment: str,
) -> None:
    with pytest.raises(Invalid, match=fragment):
        service.change_password(
            session,
            user_id=user.id,
            current_password=current,
            new_password=new,
            actor=_me(session, user),
            now=clock.now(),
        )
    assert _login(session, clock, settings)[0].user_id == user.id


def test_nobody_changes_another_users_password(
    session: Session, clock: FrozenClock, user: User, admin: Actor
) -> None:
    with pytest.raises(Forbidden):
        service.change_password(
            session,
            user_id=user.id,
            current_password=PASSWORD,
            new_password=NEW_PASSWORD,
            actor=admin,
            now=clock.now(),
        )


def test_admin_reset_revokes_credentials_and_forces_a_change(
    session: Session, clock: FrozenClock, settings: Settings, user: User, admin: Actor
) -> None:
    _a, cookie, _c = _login(session, clock, settings)
    _t, token = service.issue_token(
        session, user_id=user.id, name="phone", actor=_me(session, user), now=clock.now()
    )
    service.reset_password(
        session, user_id=user.id, new_password="Temp-Pass-2026", actor=admin, now=clock.now()
    )
    with pytest.raises(Unauthenticated):
        service.actor_for_session(session, cookie_value=cookie, now=clock.now(), settings=settings)
    with pytest.raises(Unauthenticated, match="撤销"):
        service.actor_for_token(session, token=token, now=clock.now())
    actor, cookie, _c = _login(session, clock, settings, "Temp-Pass-2026")
    fresh, _csrf = service.actor_for_session(
        session, cookie_value=cookie, now=clock.now(), settings=settings
    )
    assert fresh.pending == frozenset({PENDING_PASSWORD_CHANGE})
    with pytest.raises(Forbidden, match="修改初始密码"):
        service.login_for_token(
            session,
            username="operator1",
            password="Temp-Pass-2026",
            token_name="api",
            now=clock.now(),
            settings=settings,
        )
    service.change_password(
        session,
        user_id=user.id,
        current_password="Temp-Pass-2026",
        new_password=NEW_PASSWORD,
        actor=actor,
        now=clock.now(),
    )
    _a, cookie, _c = _login(session, clock, settings, NEW_PASSWORD)
    after, _csrf = service.actor_for_session(
        session, cookie_value=cookie, now=clock.now(), settings=settings
    )
    assert after.pending == frozenset()
    (entry,) = list_entries(session, action="auth.password_reset")
    assert entry.detail == {"sessions_ended": 1, "tokens_revoked": 2}


def test_deactivation_stops_sessions_and_tokens_and_reactivation_restores_logins(
    session: Session, clock: FrozenClock, settings: Settings, user: User, admin: Actor
) -> None:
    _a, cookie, _c = _login(session, clock, settings)
    _t, token = service.issue_token(
        session, user_id=user.id, name="phone", actor=_me(session, user), now=clock.now()
    )
    with pytest.raises(Invalid, match="停用原因"):
        service.deactivate_user(session, user_id=user.id, reason=" ", actor=admin, now=clock.now())
    service.deactivate_user(session, user_id=user.id, reason="离职", actor=admin, now=clock.now())
    with pytest.raises(Unauthenticated):
        service.actor_for_session(session, cookie_value=cookie, now=clock.now(), settings=settings)
    with pytest.raises(Unauthenticated, match="停用"):
        service.actor_for_token(session, token=token, now=clock.now())
    with pytest.raises(Conflict):
        service.deactivate_user(session, user_id=user.id, reason="x", actor=admin, now=clock.now())
    service.reactivate_user(session, user_id=user.id, actor=admin, now=clock.now())
    assert _login(session, clock, settings)[0].user_id == user.id
    assert service.actor_for_token(session, token=token, now=clock.now()).user_id == user.id
    assert [e.action for e in list_entries(session, subject_type="user", subject_id=user.id)][
        :3
    ] == ["auth.login", "auth.reactivate", "auth.deactivate"]


def test_admin_cannot_deactivate_or_lock_themself(
    session: Session, clock: FrozenClock, admin: Actor
) -> None:
    assert admin.user_id is not None
    with pytest.raises(Forbidden):
        service.deactivate_user(
            session, user_id=admin.user_id, reason="x", actor=admin, now=clock.now()
        )
    with pytest.raises(Forbidden):
        service.lock_user(
            session,
            user_id=admin.user_id,
            until=clock.now() + timedelta(hours=1),
            reason="x",
            actor=admin,
            now=clock.now(),
        )


def test_only_admins_manage_accounts(
    session: Session, clock: FrozenClock, user: User, admin: Actor
) -> None:
    other, _ = make_user(session, role=Role.DISPATCHER, now=clock.now())
    me = _me(session, user)
    with pytest.raises(Forbidden):
        service.reset_password(
            session, user_id=other.id, new_password=NEW_PASSWORD, actor=me, now=clock.now()
        )
    with pytest.raises(Forbidden):
        service.unlock_user(session, user_id=other.id, actor=me, now=clock.now())
    with pytest.raises(Forbidden):
        service.list_sessions(session, user_id=other.id, actor=me, now=clock.now())


def test_admin_lock_stops_tokens_until_unlocked_and_unlock_clears_address_locks(
    session: Session, clock: FrozenClock, settings: Settings, user: User, admin: Actor
) -> None:
    _t, token = service.issue_token(
        session, user_id=user.id, name="phone", actor=_me(session, user), now=clock.now()
    )
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            _login(session, clock, settings, "wrong")
    service.lock_user(
        session,
        user_id=user.id,
        until=clock.now() + timedelta(days=1),
        reason="疑似泄露",
        actor=admin,
        now=clock.now(),
    )
    with pytest.raises(Unauthenticated, match="锁定"):
        service.actor_for_token(session, token=token, now=clock.now())
    locked = service.locked_addresses(session, user_id=user.id, actor=admin, now=clock.now())
    assert [row.ip for row in locked] == ["10.0.0.8"]
    assert service.unlock_user(session, user_id=user.id, actor=admin, now=clock.now()) == 1
    assert service.actor_for_token(session, token=token, now=clock.now()).user_id == user.id
    assert _login(session, clock, settings)[0].user_id == user.id
    (entry,) = list_entries(session, action="auth.unlock")
    assert entry.detail == {"account_was_locked": True, "addresses_cleared": 1}


def test_session_list_and_revoke_all_keeps_the_current_one(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    cookies = [_login(session, clock, settings)[1] for _ in range(3)]
    me = _me(session, user)
    assert len(service.list_sessions(session, user_id=user.id, actor=me, now=clock.now())) == 3
    keep = service.session_hash_of_cookie(cookies[0], settings)
    ended = service.revoke_sessions(
        session, user_id=user.id, actor=me, now=clock.now(), keep_session_hash=keep
    )
    assert ended == 2
    (left,) = service.list_sessions(session, user_id=user.id, actor=me, now=clock.now())
    assert left.session_hash == keep


def test_tokens_expire_after_the_configured_days(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _a, token, plain = service.login_for_token(
        session,
        username="operator1",
        password=PASSWORD,
        token_name="api",
        now=clock.now(),
        settings=settings.model_copy(update={"token_days": 30}),
    )
    assert token.expires_at == clock.now() + timedelta(days=30)
    with pytest.raises(Invalid, match="最长 90 天"):
        service.issue_token(
            session,
            user_id=user.id,
            name="long",
            actor=_me(session, user),
            now=clock.now(),
            expires_at=clock.now() + timedelta(days=91),
        )
    clock.advance(timedelta(days=30))
    with pytest.raises(Unauthenticated, match="过期"):
        service.actor_for_token(session, token=plain, now=clock.now())


def _wrong_code(secret: str, clock: FrozenClock) -> str:
    """A six-digit code that no accepted step (now ± 30 s) shows."""
    near = {totp.code_at(secret, clock.now() + timedelta(seconds=s)) for s in (-30, 0, 30)}
    return next(c for c in (str(d) * 6 for d in range(10)) if c not in near)


def _enrol(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> tuple[str, list[str]]:
    me = _me(session, user)
    started = service.start_totp(
        session, user_id=user.id, actor=me, now=clock.now(), settings=settings
    )
    assert started.uri.startswith("otpauth://totp/civicgrid:operator1?secret=")
    with pytest.raises(Invalid, match="动态口令不正确"):
        service.confirm_totp(
            session,
            user_id=user.id,
            code=_wrong_code(started.secret, clock),
            actor=me,
            now=clock.now(),
            settings=settings,
        )
    codes = service.confirm_totp(
        session,
        user_id=user.id,
        code=totp.code_at(started.secret, clock.now()),
        actor=me,
        now=clock.now(),
        settings=settings,
    )
    return started.secret, codes


def test_totp_login_needs_a_fresh_code_once(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    secret, codes = _enrol(session, clock, settings, user)
    assert len(codes) == 10 == len(set(codes))
    session.refresh(user)
    assert user.totp_secret is not None
    assert secret not in user.totp_secret
    with pytest.raises(service.SecondFactorRequired):
        _login(session, clock, settings)
    # The enrolment code cannot be replayed; the next step's code works, once.
    with pytest.raises(Unauthenticated, match="动态口令"):
        _login(session, clock, settings, otp=totp.code_at(secret, clock.now()))
    clock.advance(timedelta(seconds=30))
    code = totp.code_at(secret, clock.now())
    assert _login(session, clock, settings, otp=code)[0].user_id == user.id
    with pytest.raises(Unauthenticated, match="动态口令"):
        _login(session, clock, settings, otp=code)
    # A wrong password with a good code still gets the one answer.
    clock.advance(timedelta(seconds=30))
    with pytest.raises(Unauthenticated, match=BAD_CREDENTIALS[:8]):
        _login(session, clock, settings, "wrong", otp=totp.code_at(secret, clock.now()))


def test_recovery_codes_work_once_and_can_be_replaced(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _secret, codes = _enrol(session, clock, settings, user)
    typed = codes[0].upper().replace("-", " ")
    assert _login(session, clock, settings, otp=typed)[0].user_id == user.id
    with pytest.raises(Unauthenticated):
        _login(session, clock, settings, otp=codes[0])
    assert service.unused_recovery_codes(session, user_id=user.id) == 9
    fresh = service.regenerate_recovery_codes(
        session, user_id=user.id, password=PASSWORD, actor=_me(session, user), now=clock.now()
    )
    with pytest.raises(Unauthenticated):
        _login(session, clock, settings, otp=codes[1])
    assert _login(session, clock, settings, otp=fresh[1])[0].user_id == user.id


def test_disable_needs_the_password_and_admin_reset_removes_2fa(
    session: Session, clock: FrozenClock, settings: Settings, user: User, admin: Actor
) -> None:
    _enrol(session, clock, settings, user)
    with pytest.raises(Invalid):
        service.disable_totp(
            session, user_id=user.id, password="wrong", actor=_me(session, user), now=clock.now()
        )
    service.reset_totp(session, user_id=user.id, actor=admin, now=clock.now())
    assert _login(session, clock, settings)[0].user_id == user.id
    assert service.unused_recovery_codes(session, user_id=user.id) == 0
    with pytest.raises(Conflict):
        service.reset_totp(session, user_id=user.id, actor=admin, now=clock.now())


def test_required_roles_must_enrol_before_anything_else(
    session: Session, clock: FrozenClock, settings: Settings
) -> None:
    strict = settings.model_copy(update={"totp_required_roles": "admin,leader"})
    leader, _ = make_user(session, role=Role.LEADER, username="leader1", now=clock.now())
    _a, cookie, _c = service.login(
        session, username="leader1", password=PASSWORD, now=clock.now(), settings=strict
    )
    actor, _csrf = service.actor_for_session(
        session, cookie_value=cookie, now=clock.now(), settings=strict
    )
    assert actor.pending == frozenset({PENDING_TOTP_ENROLMENT})
    with pytest.raises(Forbidden, match="两步验证"):
        service.login_for_token(
            session,
            username="leader1",
            password=PASSWORD,
            token_name="api",
            now=clock.now(),
            settings=strict,
        )
    started = service.start_totp(
        session, user_id=leader.id, actor=actor, now=clock.now(), settings=strict
    )
    service.confirm_totp(
        session,
        user_id=leader.id,
        code=totp.code_at(started.secret, clock.now()),
        actor=actor,
        now=clock.now(),
        settings=strict,
    )
    again, _csrf = service.actor_for_session(
        session, cookie_value=cookie, now=clock.now(), settings=strict
    )
    assert again.pending == frozenset()


def test_enrolment_is_only_for_ones_own_account(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    with pytest.raises(Forbidden):
        service.start_totp(
            session, user_id=user.id, actor=SYSTEM, now=clock.now(), settings=settings
        )
