"""Logins with one answer for every refusal and a lock per (username, client address) (等保 2.0:
N failures from one address → that address locked out for M minutes), web sessions with idle
timeout and absolute expiry, logout, and password-for-token exchange."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import event, select, update
from sqlalchemy.orm import ORMExecuteState, Session
from tests.builders.auth import make_user

from civicgrid.audit.service import list_entries
from civicgrid.auth import service
from civicgrid.auth.models import LoginLock, User
from civicgrid.auth.passwords import hash_password, needs_rehash, verify_password
from civicgrid.auth.roles import Role
from civicgrid.auth.service import BAD_CREDENTIALS
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.errors import Invalid, Unauthenticated

PASSWORD = "Passw0rd!x"


@pytest.fixture
def user(session: Session, clock: FrozenClock) -> User:
    user, _ = make_user(
        session, role=Role.OPERATOR, username="operator1", password=PASSWORD, now=clock.now()
    )
    return user


def _fail(
    session: Session, clock: FrozenClock, settings: Settings, times: int, ip: str = "10.0.0.1"
) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            service.login(
                session,
                username="operator1",
                password="wrong",
                now=clock.now(),
                settings=settings,
                ip=ip,
            )


def _refusal(
    session: Session,
    clock: FrozenClock,
    settings: Settings,
    username: str,
    password: str,
    ip: str = "10.0.0.1",
) -> tuple[int, str]:
    with pytest.raises(Unauthenticated) as refused:
        service.login(
            session,
            username=username,
            password=password,
            now=clock.now(),
            settings=settings,
            ip=ip,
        )
    return refused.value.status_code, refused.value.message


def test_login_opens_a_session_and_audits(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    actor, cookie, csrf = service.login(
        session,
        username=" operator1 ",
        password=PASSWORD,
        now=clock.now(),
        settings=settings,
        ip="10.0.0.8",
    )
    assert actor.user_id == user.id
    assert actor.roles == frozenset({Role.OPERATOR})
    assert len(csrf) >= 32
    assert cookie
    again, same_csrf = service.actor_for_session(
        session, cookie_value=cookie, now=clock.now(), settings=settings
    )
    assert again.user_id == user.id
    assert same_csrf == csrf
    session.refresh(user)
    assert user.last_login_at == clock.now()
    (entry,) = list_entries(session, action="auth.login")
    assert (entry.outcome, entry.actor_user_id) == ("success", user.id)
    assert entry.detail == {"channel": "web", "ip": "10.0.0.8"}


def test_wrong_password_is_refused_counted_and_audited(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    with pytest.raises(Unauthenticated, match="用户名或密码错误"):
        service.login(
            session, username="operator1", password="nope", now=clock.now(), settings=settings
        )
    (entry,) = list_entries(session, action="auth.login")
    assert (entry.outcome, entry.reason) == ("failure", "wrong_password")
    assert entry.actor_user_id == user.id
    (lock,) = session.scalars(select(LoginLock)).all()
    assert (lock.username, lock.failed_count, lock.locked_until) == ("operator1", 1, None)


def test_unknown_user_gets_the_same_answer_and_is_audited(
    session: Session, clock: FrozenClock, settings: Settings
) -> None:
    with pytest.raises(Unauthenticated, match="用户名或密码错误"):
        service.login(
            session, username="ghost", password=PASSWORD, now=clock.now(), settings=settings
        )
    (entry,) = list_entries(session, action="auth.login")
    assert (entry.outcome, entry.reason, entry.actor_user_id) == ("failure", "unknown_user", None)
    assert entry.actor_label.startswith("ghost")


def test_unknown_wrong_locked_and_inactive_get_one_answer(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    unknown = _refusal(session, clock, settings, "ghost", PASSWORD)
    wrong = _refusal(session, clock, settings, "operator1", "nope")
    _fail(session, clock, settings, 4)
    locked_right_password = _refusal(session, clock, settings, "operator1", PASSWORD)
    user.is_active = False
    session.commit()
    inactive = _refusal(session, clock, settings, "operator1", PASSWORD, ip="10.0.0.2")
    assert unknown == wrong == locked_right_password == inactive == (401, BAD_CREDENTIALS)
    reasons = [e.reason for e in list_entries(session, action="auth.login")]
    assert reasons[:2] == ["inactive", "locked"]


def test_unknown_usernames_lock_exactly_like_known_ones(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    for name in ("operator1", "ghost"):
        for _ in range(5):
            _refusal(session, clock, settings, name, "wrong")
    rows = {r.username: r for r in session.scalars(select(LoginLock))}
    assert rows["ghost"].locked_until == rows["operator1"].locked_until is not None
    assert len(list_entries(session, action="auth.lockout")) == 2


def test_failures_lock_only_the_address_they_came_from(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    assert (settings.lockout_threshold, settings.lockout_minutes) == (5, 15)
    _fail(session, clock, settings, 5, ip="203.0.113.9")
    (lockout,) = list_entries(session, action="auth.lockout")
    assert lockout.outcome == "denied"
    assert lockout.detail["ip"] == "203.0.113.9"
    # The attacker's address is refused even with the right password (and it is audited) ...
    _refusal(session, clock, settings, "operator1", PASSWORD, ip="203.0.113.9")
    assert list_entries(session, action="auth.login")[0].reason == "locked"
    # ... while the owner logs in from their own address: the account itself is not locked.
    actor, _cookie, _csrf = service.login(
        session,
        username="operator1",
        password=PASSWORD,
        now=clock.now(),
        settings=settings,
        ip="10.0.0.8",
    )
    assert actor.user_id == user.id
    session.refresh(user)
    assert user.locked_until is None


def test_the_address_lock_ends_after_the_time_and_the_count_starts_again(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _fail(session, clock, settings, 5)
    clock.advance(timedelta(minutes=14, seconds=59))
    _refusal(session, clock, settings, "operator1", PASSWORD)
    clock.advance(timedelta(seconds=1))
    _fail(session, clock, settings, 4)
    service.login(
        session,
        username="operator1",
        password=PASSWORD,
        now=clock.now(),
        settings=settings,
        ip="10.0.0.1",
    )
    assert session.scalars(select(LoginLock)).all() == []


def test_success_resets_the_failure_count(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _fail(session, clock, settings, 4)
    service.login(
        session,
        username="operator1",
        password=PASSWORD,
        now=clock.now(),
        settings=settings,
        ip="10.0.0.1",
    )
    _fail(session, clock, settings, 4)
    (lock,) = session.scalars(select(LoginLock)).all()
    assert (lock.failed_count, lock.locked_until) == (4, None)


def test_lockout_is_configurable(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    strict = settings.model_copy(update={"lockout_threshold": 2, "lockout_minutes": 60})
    _fail(session, clock, strict, 2)
    (lock,) = session.scalars(select(LoginLock)).all()
    assert lock.locked_until == clock.now() + timedelta(minutes=60)


def test_deactivated_user_cannot_log_in(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    user.is_active = False
    session.commit()
    with pytest.raises(Unauthenticated, match="用户名或密码错误"):
        service.login(
            session, username="operator1", password=PASSWORD, now=clock.now(), settings=settings
        )
    assert list_entries(session, action="auth.login")[0].reason == "inactive"


def test_session_idle_timeout(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _a, cookie, _c = service.login(
        session, username="operator1", password=PASSWORD, now=clock.now(), settings=settings
    )
    # Activity keeps the session alive ...
    for _ in range(3):
        clock.advance(timedelta(minutes=29))
        service.actor_for_session(session, cookie_value=cookie, now=clock.now(), settings=settings)
    # ... thirty idle minutes end it.
    clock.advance(timedelta(minutes=30))
    with pytest.raises(Unauthenticated, match="超时"):
        service.actor_for_session(session, cookie_value=cookie, now=clock.now(), settings=settings)


def test_session_absolute_expiry(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    assert settings.session_hours == 12
    _a, cookie, _c = service.login(
        session, username="operator1", password=PASSWORD, now=clock.now(), settings=settings
    )
    # Busy all day: a request every 20 minutes up to 11 h 40 min after login ...
    for _ in range(35):
        clock.advance(timedelta(minutes=20))
        service.actor_for_session(session, cookie_value=cookie, now=clock.now(), settings=settings)
    # ... and still the session ends 12 hours after it began.
    clock.advance(timedelta(minutes=20))
    with pytest.raises(Unauthenticated, match="过期"):
        service.actor_for_session(session, cookie_value=cookie, now=clock.now(), settings=settings)


def test_tampered_or_unknown_cookie_is_refused(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _a, cookie, _c = service.login(
        session, username="operator1", password=PASSWORD, now=clock.now(), settings=settings
    )
    raw, _, signature = cookie.rpartition(".")
    with pytest.raises(Unauthenticated, match="无效"):
        service.actor_for_session(
            session, cookie_value=raw + "x." + signature, now=clock.now(), settings=settings
        )
    other_key = settings.model_copy(update={"secret_key": "another-key"})
    with pytest.raises(Unauthenticated, match="无效"):
        service.actor_for_session(session, cookie_value=cookie, now=clock.now(), settings=other_key)


def test_logout_revokes_the_session(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _a, cookie, _c = service.login(
        session, username="operator1", password=PASSWORD, now=clock.now(), settings=settings
    )
    service.logout(session, cookie_value=cookie, now=clock.now(), settings=settings)
    with pytest.raises(Unauthenticated, match="失效"):
        service.actor_for_session(session, cookie_value=cookie, now=clock.now(), settings=settings)
    (entry,) = list_entries(session, action="auth.logout")
    assert entry.actor_user_id == user.id
    with pytest.raises(Unauthenticated):
        service.logout(session, cookie_value=cookie, now=clock.now(), settings=settings)


def test_password_for_token(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    actor, token, plain = service.login_for_token(
        session,
        username="operator1",
        password=PASSWORD,
        token_name="手机",
        now=clock.now(),
        settings=settings,
    )
    assert token.user_id == user.id == actor.user_id
    assert service.actor_for_token(session, token=plain, now=clock.now()).user_id == user.id
    assert list_entries(session, action="auth.login")[0].detail["channel"] == "api"
    with pytest.raises(Invalid):
        service.login_for_token(
            session,
            username="operator1",
            password=PASSWORD,
            token_name=" ",
            now=clock.now(),
            settings=settings,
        )


def test_password_for_token_shares_the_address_lock(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    _fail(session, clock, settings, 5)
    with pytest.raises(Unauthenticated, match="用户名或密码错误"):
        service.login_for_token(
            session,
            username="operator1",
            password=PASSWORD,
            token_name="api",
            now=clock.now(),
            settings=settings,
            ip="10.0.0.1",
        )


@contextmanager
def _password_changed_before_the_row_lock(
    session: Session, user_id: int, new_password: str
) -> Iterator[None]:
    """Change the user's password hash once, right before the login's locked read of the user
    row, i.e. after its password check: what a password change committed by another request in
    between looks like to the login."""
    pending = [hash_password(new_password)]

    def change(state: ORMExecuteState) -> None:
        for_update = getattr(state.statement, "_for_update_arg", None)
        if not pending or for_update is None or state.bind_mapper is not User.__mapper__:
            return
        state.session.execute(
            update(User).where(User.id == user_id).values(password_hash=pending.pop())
        )

    event.listen(session, "do_orm_execute", change)
    try:
        yield
    finally:
        event.remove(session, "do_orm_execute", change)
    assert not pending, "the login took no locked read of the user row"


def test_a_password_changed_during_the_check_is_checked_again_under_the_row_lock(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    """The argon2 check runs before the row lock; a hash that changed meanwhile decides."""
    with _password_changed_before_the_row_lock(session, user.id, "N3w-Passw0rd!"):
        status, message = _refusal(session, clock, settings, "operator1", PASSWORD)
    assert (status, message) == (401, BAD_CREDENTIALS)

    with _password_changed_before_the_row_lock(session, user.id, "Th1rd-Passw0rd!"):
        actor, _cookie, _csrf = service.login(
            session,
            username="operator1",
            password="Th1rd-Passw0rd!",
            now=clock.now(),
            settings=settings,
            ip="10.0.0.1",
        )
    assert actor.user_id == user.id


def test_a_hash_of_earlier_parameters_is_replaced_at_the_next_login(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    """Rehash on login: a hash stored with RFC 9106's 64 MiB parameters (before December
    2026) verifies and is replaced by one with the current parameters."""
    earlier = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(PASSWORD)
    session.execute(update(User).where(User.id == user.id).values(password_hash=earlier))
    session.commit()
    service.login(
        session, username="operator1", password=PASSWORD, now=clock.now(), settings=settings
    )
    session.expire_all()
    stored = session.scalars(select(User.password_hash).where(User.id == user.id)).one()
    assert stored != earlier
    assert not needs_rehash(stored)
    assert verify_password(PASSWORD, stored)


def test_the_password_check_runs_between_the_reads_and_the_locked_writes(
    session: Session, clock: FrozenClock, settings: Settings, user: User
) -> None:
    """The argon2 work sits between two transactions: the reads before it (failure row, hash)
    end before it, so it holds no row lock and no pooled connection; the failure row and the
    user row are locked in the next one."""
    seen: list[str] = []

    def note(state: ORMExecuteState) -> None:
        locked = getattr(state.statement, "_for_update_arg", None) is not None
        mapper = state.bind_mapper
        name = mapper.class_.__name__ if mapper is not None else "?"
        seen.append(f"{name} locked" if locked else name)

    def ended(*_args: object) -> None:
        seen.append("end")

    _fail(session, clock, settings, 1)  # a failure row for the pair exists
    event.listen(session, "do_orm_execute", note)
    event.listen(session, "after_transaction_end", ended)
    try:
        service.login(
            session,
            username="operator1",
            password=PASSWORD,
            now=clock.now(),
            settings=settings,
            ip="10.0.0.1",
        )
    finally:
        event.remove(session, "do_orm_execute", note)
        event.remove(session, "after_transaction_end", ended)
    first_lock = seen.index("LoginLock locked")
    assert seen[:2] == ["LoginLock", "User"]
    assert "end" in seen[2:first_lock]
    assert "User locked" in seen[first_lock:]
