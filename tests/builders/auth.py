"""Builders for accounts: users with a post and an API token, made through the auth use cases,
plus the few plain territory reference rows that posts need to hang on."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import passwords, service
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import User
from civicgrid.auth.roles import UNANCHORED_ROLES, Role
from civicgrid.territory.models import Department, Region, Utility

# Test suites hash many passwords; argon2's cheapest parameters keep the real code path.
passwords.use_cheap_parameters_for_tests()

_seq = itertools.count(1)

SYSTEM = Actor.system("test-builder")


def make_user(
    session: Session,
    *,
    role: Role,
    region_code: str | None = None,
    department_code: str | None = None,
    utility_code: str | None = None,
    username: str | None = None,
    password: str = "Passw0rd!x",  # noqa: S107 - the test fixture password
    now: datetime,
) -> tuple[User, str]:
    """A user holding one post (``role`` at the given region / department / utility, by code)
    and a fresh API token; returns the user and the plain token. A staff role given no anchor
    is posted at :data:`SPARE_CITY`, a city with nothing in it (a staff post needs an anchor)."""
    n = next(_seq)
    if role not in UNANCHORED_ROLES and not (region_code or department_code or utility_code):
        region_code = spare_city(session, now=now).code
    username = username or f"{role.value}_{n}"
    anchors = service.resolve_anchor_codes(
        session,
        region_code=region_code,
        department_code=department_code,
        utility_code=utility_code,
    )
    user, _post = service.create_user_with_post(
        session,
        username=username,
        display_name=f"{role.label}{n}",
        password=password,
        role=role,
        region_id=anchors.region_id,
        department_id=anchors.department_id,
        utility_id=anchors.utility_id,
        actor=SYSTEM,
        now=now,
    )
    _token, plain = service.issue_token(
        session, user_id=user.id, name="tests", actor=SYSTEM, now=now
    )
    session.refresh(user)
    return user, plain


SPARE_CITY = "990000000000"


def spare_city(session: Session, *, now: datetime) -> Region:
    """The empty city that staff users made without an anchor are posted at (made once)."""
    found = session.scalar(select(Region).where(Region.code == SPARE_CITY))
    return found or make_region(session, code=SPARE_CITY, name="测试市", level="city", now=now)


def make_region(
    session: Session,
    *,
    code: str,
    name: str,
    level: str,
    parent: Region | None = None,
    now: datetime,
) -> Region:
    """A plain region reference row with its materialised path (``/1/4/17/``); committed."""
    region = Region(
        code=code,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        path="",
        created_at=now,
    )
    session.add(region)
    session.flush()
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    # Commit (a savepoint release inside the test's transaction) so that a later use case
    # that fails and rolls back does not take the reference rows with it.
    session.commit()
    return region


def make_department(
    session: Session, *, code: str, name: str, region: Region, now: datetime
) -> Department:
    """A plain department reference row answering for ``region``."""
    department = Department(code=code, name=name, region_id=region.id, created_at=now)
    session.add(department)
    session.commit()
    return department


def make_utility(
    session: Session, *, code: str, name: str, service_kind: str = "water", now: datetime
) -> Utility:
    """A plain utility reference row."""
    utility = Utility(code=code, name=name, service=service_kind, created_at=now)
    session.add(utility)
    session.commit()
    return utility


class MiniTerritory:
    """One city, two districts, a street and two communities under the first district, a grid
    in each community, one department and one utility; codes are fixed so tests can name
    them."""

    CITY = "110000000000"
    DISTRICT_A = "110105000000"
    DISTRICT_B = "110108000000"
    STREET_A = "110105001000"
    COMMUNITY_A1 = "110105001001"
    COMMUNITY_A2 = "110105001002"
    GRID_A1 = "110105001001001"
    GRID_A2 = "110105001002001"
    STREET_B = "110108001000"
    DEPARTMENT = "CG-CHY-CGJ"
    UTILITY = "WATER-BJ"

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        city = make_region(session, code=self.CITY, name="北京市", level="city", now=now)
        da = make_region(
            session, code=self.DISTRICT_A, name="朝阳区", level="district", parent=city, now=now
        )
        db = make_region(
            session, code=self.DISTRICT_B, name="海淀区", level="district", parent=city, now=now
        )
        sa = make_region(
            session, code=self.STREET_A, name="建外街道", level="street", parent=da, now=now
        )
        make_region(
            session, code=self.STREET_B, name="中关村街道", level="street", parent=db, now=now
        )
        c1 = make_region(
            session,
            code=self.COMMUNITY_A1,
            name="建国里社区",
            level="community",
            parent=sa,
            now=now,
        )
        c2 = make_region(
            session,
            code=self.COMMUNITY_A2,
            name="永安里社区",
            level="community",
            parent=sa,
            now=now,
        )
        make_region(
            session, code=self.GRID_A1, name="建国里第一网格", level="grid", parent=c1, now=now
        )
        make_region(
            session, code=self.GRID_A2, name="永安里第一网格", level="grid", parent=c2, now=now
        )
        make_department(session, code=self.DEPARTMENT, name="朝阳区城管执法局", region=da, now=now)
        make_utility(session, code=self.UTILITY, name="北京自来水集团", now=now)

    @classmethod
    def attach(cls, session: Session) -> MiniTerritory:
        """The mini-territory already stored in the database behind ``session`` (built by an
        earlier ``MiniTerritory(...)``), read through ``session``."""
        territory = cls.__new__(cls)
        territory.session = session
        return territory

    def region(self, code: str) -> Region:
        found = self.session.scalar(select(Region).where(Region.code == code))
        assert found is not None, code
        return found

    def department(self, code: str | None = None) -> Department:
        found = self.session.scalar(
            select(Department).where(Department.code == (code or self.DEPARTMENT))
        )
        assert found is not None
        return found

    def utility(self, code: str | None = None) -> Utility:
        found = self.session.scalar(select(Utility).where(Utility.code == (code or self.UTILITY)))
        assert found is not None
        return found
