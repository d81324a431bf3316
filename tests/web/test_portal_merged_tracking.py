"""A merged (并单) appeal's caller follows the main order: the tracking page and the resident's
own appeal page show the main order's status, lead unit and public reply, never its number or
its caller."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, submit
from tests.web.conftest import LoginAs

from civicgrid.appeals import service
from civicgrid.appeals.channels import Channel
from civicgrid.appeals.models import Appeal

OTHER_NAME = "王秀英"
OTHER_PHONE = "13966661234"
REPLY = "已协调环卫所清运门口垃圾，并增加每日清运一次。"


def _main(session: Session, world: World, now: datetime) -> Appeal:
    """Another caller's order of the same problem, dispatched to street A."""
    main = submit(
        session,
        world,
        now=now,
        title="幸福路12号院门口垃圾堆放",
        caller_name=OTHER_NAME,
        caller_phone=OTHER_PHONE,
    )
    service.dispatch(
        session, appeal_id=main.id, lead=world.street_a, actor=world.actor("dispatcher"), now=now
    )
    return main


def _merge(session: Session, world: World, dup: Appeal, main: Appeal, now: datetime) -> None:
    service.merge(
        session,
        appeal_id=dup.id,
        target_number=main.number,
        actor=world.actor("operator"),
        now=now,
    )
    session.commit()


def _reply(session: Session, world: World, main: Appeal, now: datetime) -> None:
    street = world.actor("street_a")
    service.sign(session, appeal_id=main.id, actor=street, now=now)
    service.contact(session, appeal_id=main.id, note="已电话联系", actor=street, now=now)
    service.reply(session, appeal_id=main.id, text=REPLY, actor=street, now=now)
    session.commit()


def _nothing_of_the_other_caller(text: str, main: Appeal) -> None:
    assert main.number not in text
    assert OTHER_NAME not in text
    assert OTHER_PHONE not in text


def test_tracking_a_merged_appeal_shows_the_main_orders_status_and_reply(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    main = _main(session, world, now)
    dup = submit(session, world, now=now, title="幸福路12号院垃圾没人清运")  # phone tail 5678
    _merge(session, world, dup, main, now)
    proof = {"number": dup.number, "phone_tail": "5678"}

    before = client.post("/portal/track", data=proof)
    assert before.status_code == 200
    assert "合并办理进度" in before.text
    assert "已派单" in before.text  # the main order's status
    assert "承办单位尚未答复" in before.text
    _nothing_of_the_other_caller(before.text, main)

    _reply(session, world, main, now)
    after = client.post("/portal/track", data=proof)
    assert after.status_code == 200
    assert "已办结待回访" in after.text
    assert REPLY in after.text
    assert "承办单位尚未答复" not in after.text
    assert world.actor("street_a").username not in after.text
    _nothing_of_the_other_caller(after.text, main)


def test_the_residents_own_merged_appeal_shows_the_main_orders_reply(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    main = _main(session, world, now)
    mine = submit(
        session,
        world,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        title="12号院门口垃圾",
        photos=(PNG,),
        lon=116.45,
        lat=39.91,
    )
    _merge(session, world, mine, main, now)
    _reply(session, world, main, now)
    login("resident")
    page = client.get(f"/portal/appeals/{mine.id}")
    assert page.status_code == 200
    assert "合并办理进度" in page.text
    assert REPLY in page.text
    assert "已办结待回访" in page.text
    _nothing_of_the_other_caller(page.text, main)


def test_an_appeal_that_was_not_merged_shows_no_main_order(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    main = _main(session, world, now)
    session.commit()
    r = client.post("/portal/track", data={"number": main.number, "phone_tail": "1234"})
    assert r.status_code == 200
    assert "合并办理进度" not in r.text
