"""API tokens: issue (hash stored, plain shown once), use, expiry, revocation."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory, make_user

from civicgrid.audit.service import list_entries
from civicgrid.auth import service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.clock import FrozenClock
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated


def _actor(session: Session, user_id: int) -> Actor:
    return service.actor_for_user(session, user_id)


def test_issue_stores_only_a_hash_and_audits(session: Session, now: datetime) -> None:
    user, _ = make_user(session, role=Role.OPERATOR, now=now)
    me = _actor(session, user.id)
    token, plain = service.issue_token(session, user_id=user.id, name="脚本", actor=me, now=now)
    assert plain.startswith("cgt_")
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in (token.token_hash, token.token_prefix)
    assert plain.startswith(token.token_prefix)
    entry = list_entries(session, action="token.issue", subject_id=token.id)[0]
    assert entry.actor_user_id == user.id
    assert entry.detail["name"] == "脚本"
    assert plain not in str(entry.detail)


def test_token_authenticates_and_records_last_use(session: Session, clock: FrozenClock) -> None:
    user, plain = make_user(session, role=Role.OPERATOR, now=clock.now())
    clock.advance(timedelta(minutes=5))
    actor = service.actor_for_token(session, token=plain, now=clock.now())
    assert actor.user_id == user.id
    assert actor.roles == frozenset({Role.OPERATOR})
    (row,) = service.list_tokens(session, user_id=user.id)
    assert row.last_used_at == clock.now()


def test_unknown_token_is_refused(session: Session, now: datetime) -> None:
    with pytest.raises(Unauthenticated, match="令牌无效"):
        service.actor_for_token(session, token="cgt_nope", now=now)


def test_expired_token_is_refused(session: Session, clock: FrozenClock) -> None:
    user, _ = make_user(session, role=Role.OPERATOR, now=clock.now())
    _token, plain = service.issue_token(
        session,
        user_id=user.id,
        name="短期",
        actor=SYSTEM,
        now=clock.now(),
        expires_at=clock.now() + timedelta(hours=1),
    )
    clock.advance(timedelta(minutes=59))
    assert service.actor_for_token(session, token=plain, now=clock.now()).user_id == user.id
    clock.advance(timedelta(minutes=1))
    with pytest.raises(Unauthenticated, match="已过期"):
        service.actor_for_token(session, token=plain, now=clock.now())


def test_revoked_token_is_refused_and_revocation_audited(session: Session, now: datetime) -> None:
    user, plain = make_user(session, role=Role.OPERATOR, now=now)
    (row,) = service.list_tokens(session, user_id=user.id)
    me = _actor(session, user.id)
    revoked = service.revoke_token(session, token_id=row.id, actor=me, now=now)
    assert revoked.revoked_at == now
    with pytest.raises(Unauthenticated, match="已撤销"):
        service.actor_for_token(session, token=plain, now=now)
    (entry,) = list_entries(session, action="token.revoke")
    assert entry.subject_id == str(row.id)
    with pytest.raises(Conflict, match="已撤销"):
        service.revoke_token(session, token_id=row.id, actor=me, now=now)


def test_another_users_token_looks_missing(session: Session, now: datetime) -> None:
    owner, _ = make_user(session, role=Role.OPERATOR, now=now)
    other, _ = make_user(session, role=Role.OPERATOR, now=now)
    (row,) = service.list_tokens(session, user_id=owner.id)
    with pytest.raises(NotFound):
        service.revoke_token(session, token_id=row.id, actor=_actor(session, other.id), now=now)
    with pytest.raises(NotFound):
        service.revoke_token(session, token_id=999_999, actor=SYSTEM, now=now)
    # An admin may revoke anyone's token.
    service.revoke_token(session, token_id=row.id, actor=SYSTEM, now=now)


def test_tokens_only_for_oneself_unless_admin(session: Session, now: datetime) -> None:
    owner, _ = make_user(session, role=Role.OPERATOR, now=now)
    other, _ = make_user(session, role=Role.OPERATOR, now=now)
    with pytest.raises(Forbidden):
        service.issue_token(
            session, user_id=owner.id, name="x", actor=_actor(session, other.id), now=now
        )
    with pytest.raises(NotFound):
        service.issue_token(session, user_id=999_999, name="x", actor=SYSTEM, now=now)


@pytest.mark.parametrize(
    ("name", "expires_in", "fragment"),
    [
        ("  ", None, "名称不能为空"),
        ("x" * 101, None, "不能超过 100"),
        ("ok", timedelta(0), "晚于当前时间"),
        ("ok", timedelta(hours=-1), "晚于当前时间"),
    ],
)
def test_issue_refuses_bad_input(
    session: Session, now: datetime, name: str, expires_in: timedelta | None, fragment: str
) -> None:
    user, _ = make_user(session, role=Role.OPERATOR, now=now)
    with pytest.raises(Invalid, match=fragment):
        service.issue_token(
            session,
            user_id=user.id,
            name=name,
            actor=SYSTEM,
            now=now,
            expires_at=now + expires_in if expires_in is not None else None,
        )
    assert len(service.list_tokens(session, user_id=user.id)) == 1


def test_token_of_a_deactivated_user_is_refused(session: Session, now: datetime) -> None:
    user, plain = make_user(session, role=Role.OPERATOR, now=now)
    user.is_active = False
    session.commit()
    with pytest.raises(Unauthenticated, match="停用"):
        service.actor_for_token(session, token=plain, now=now)
    with pytest.raises(Invalid, match="停用"):
        service.issue_token(session, user_id=user.id, name="x", actor=SYSTEM, now=now)


def test_token_actor_has_every_post_and_the_same_scope_as_the_user(
    session: Session, now: datetime
) -> None:
    territory = MiniTerritory(session, now)
    user, plain = make_user(
        session, role=Role.STREET_HANDLER, region_code=MiniTerritory.STREET_A, now=now
    )
    service.add_post(
        session,
        user_id=user.id,
        role=Role.DEPARTMENT_HANDLER,
        department_id=territory.department().id,
        actor=SYSTEM,
        now=now,
    )
    actor = service.actor_for_token(session, token=plain, now=now)
    assert actor == service.actor_for_user(session, user.id)
    assert actor.roles == frozenset({Role.STREET_HANDLER, Role.DEPARTMENT_HANDLER})
    assert actor.scope.region_paths == frozenset({territory.region(MiniTerritory.STREET_A).path})
    assert actor.scope.department_ids == frozenset({territory.department().id})


def test_token_of_a_user_without_posts_gives_an_actor_without_roles(
    session: Session, now: datetime
) -> None:
    user, plain = make_user(session, role=Role.OPERATOR, now=now)
    (post,) = user.posts
    service.remove_post(session, post_id=post.id, actor=SYSTEM, now=now)
    actor = service.actor_for_token(session, token=plain, now=now)
    assert actor.user_id == user.id
    assert actor.roles == frozenset()
    assert actor.scope.is_empty


def test_last_use_is_written_at_most_once_a_minute(session: Session, clock: FrozenClock) -> None:
    user, plain = make_user(session, role=Role.OPERATOR, now=clock.now())
    service.actor_for_token(session, token=plain, now=clock.now())
    first = clock.now()
    clock.advance(timedelta(seconds=59))
    service.actor_for_token(session, token=plain, now=clock.now())
    session.expire_all()
    (row,) = service.list_tokens(session, user_id=user.id)
    assert row.last_used_at == first
    clock.advance(timedelta(seconds=1))
    service.actor_for_token(session, token=plain, now=clock.now())
    session.expire_all()
    (row,) = service.list_tokens(session, user_id=user.id)
    assert row.last_used_at == clock.now()
