"""Open311 rules: status mapping, services and attributes from the catalogue, parameter
checks, and the XML form."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.appeals.channels import AppealType
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import AppealStatus
from civicgrid.dispatch.catalogue import load_default_catalogue
from civicgrid.errors import Invalid, NotFound
from civicgrid.open311 import rules, xml

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
CATALOGUE = load_default_catalogue()


def test_statuses_read_open_until_the_caller_has_the_answer() -> None:
    assert rules.request_status("received") is rules.RequestStatus.OPEN
    assert rules.request_status("in_progress") is rules.RequestStatus.OPEN
    assert rules.request_status("parked") is rules.RequestStatus.OPEN
    assert rules.request_status("replied") is rules.RequestStatus.CLOSED
    assert rules.request_status("closed") is rules.RequestStatus.CLOSED
    assert rules.request_status("answered_directly") is rules.RequestStatus.CLOSED


def test_every_status_has_exactly_one_plain_and_one_extended_reading() -> None:
    opened = rules.statuses_for([rules.RequestStatus.OPEN])
    closed = rules.statuses_for([rules.RequestStatus.CLOSED])
    assert opened.isdisjoint(closed)
    assert opened | closed == {s.value for s in AppealStatus}
    for status in AppealStatus:
        assert rules.extended_status("any", status.value)


def test_extended_statuses_follow_fixmystreet() -> None:
    assert rules.extended_status("reply", "replied") == "FIXED"
    assert rules.extended_status("merge", "merged") == "DUPLICATE"
    assert rules.extended_status("reopen", "in_progress") == "REOPEN"
    assert rules.extended_status("dispatch", "dispatched") == "ACTION_SCHEDULED"


def test_services_are_the_leaf_items_grouped_by_their_first_level() -> None:
    services = rules.services_of(CATALOGUE.items)
    assert {s.code for s in services} == {i.code for i in CATALOGUE.leaves()}
    rubbish = next(s for s in services if s.code == "010101")
    assert rubbish.group == "城市管理与市容环境"
    assert rubbish.description == "城市管理与市容环境 / 环境卫生 / 暴露垃圾"
    assert "垃圾" in rubbish.keywords


def test_site_visits_ask_where_exactly_and_utilities_the_account() -> None:
    site = CATALOGUE.get("010101")  # requires a site visit
    assert [a.code for a in rules.attributes_for(site)] == ["site_detail"]
    plain = CATALOGUE.get("010102")
    assert rules.attributes_for(plain) == ()
    utility = next(i for i in CATALOGUE.leaves() if i.owner_rule.value == "utility")
    assert "account_no" in [a.code for a in rules.attributes_for(utility)]


def test_type_and_level_come_from_the_item() -> None:
    item = CATALOGUE.get("010101")
    assert rules.appeal_type_for(item) is AppealType.HELP
    assert rules.urgency_for(item) is UrgencyLevel.GENERAL


def test_jurisdiction_missing_where_required_is_400_and_unknown_is_404() -> None:
    rules.check_jurisdiction("", "bj.gov.cn", required=False)
    rules.check_jurisdiction("bj.gov.cn", "bj.gov.cn", required=True)
    with pytest.raises(Invalid):
        rules.check_jurisdiction("", "bj.gov.cn", required=True)
    with pytest.raises(NotFound):
        rules.check_jurisdiction("sh.gov.cn", "bj.gov.cn", required=False)


def test_window_defaults_to_the_last_90_days_and_refuses_more() -> None:
    assert rules.request_window(None, None, now=NOW) == (NOW - timedelta(days=90), NOW)
    start = NOW - timedelta(days=10)
    assert rules.request_window(start, None, now=NOW) == (start, start + timedelta(days=90))
    assert rules.request_window(None, NOW, now=NOW) == (NOW - timedelta(days=90), NOW)
    with pytest.raises(Invalid, match="90"):
        rules.request_window(NOW - timedelta(days=91), NOW, now=NOW)
    with pytest.raises(Invalid, match="end_date"):
        rules.request_window(NOW, NOW - timedelta(days=1), now=NOW)


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200))
def test_an_accepted_window_is_never_longer_than_90_days(a: int, b: int) -> None:
    start, end = NOW - timedelta(days=a), NOW - timedelta(days=b)
    try:
        got = rules.request_window(start, end, now=NOW)
    except Invalid:
        assert end < start or end - start > timedelta(days=90)
    else:
        assert timedelta(0) <= got[1] - got[0] <= timedelta(days=90)


def test_times_need_a_zone() -> None:
    assert rules.parse_time("2026-11-24T10:00:00Z", "start_date") == datetime(
        2026, 11, 24, 10, tzinfo=UTC
    )
    assert rules.parse_time("2026-11-24T10:00:00+08:00", "x").utcoffset() == timedelta(hours=8)
    with pytest.raises(Invalid, match="时区"):
        rules.parse_time("2026-11-24T10:00:00", "start_date")
    with pytest.raises(Invalid, match="ISO 8601"):
        rules.parse_time("yesterday", "start_date")


def test_description_is_required_short_and_plain() -> None:
    assert rules.check_description("  路灯不亮  ") == "路灯不亮"
    assert rules.check_description("a<b 且 c>d") == "a<b 且 c>d"
    with pytest.raises(Invalid, match="required"):
        rules.check_description("  ")
    with pytest.raises(Invalid, match="4000"):
        rules.check_description("字" * 4001)
    rules.check_description("字" * 4000)
    with pytest.raises(Invalid, match="HTML"):
        rules.check_description("看这里 <a href='x'>链接</a>")


def test_attributes_are_checked_against_the_definition() -> None:
    definitions = rules.attributes_for(CATALOGUE.get("010101"))
    assert rules.check_attributes(definitions, {"site_detail": ["3号楼"]}) == {
        "site_detail": "3号楼"
    }
    with pytest.raises(Invalid, match="site_detail"):
        rules.check_attributes(definitions, {})
    with pytest.raises(Invalid, match="unknown attribute"):
        rules.check_attributes(definitions, {"site_detail": ["x"], "colour": ["red"]})
    with pytest.raises(Invalid, match="one value"):
        rules.check_attributes(definitions, {"site_detail": ["a", "b"]})


def test_list_attributes_take_only_their_keys() -> None:
    choice = rules.Attribute(
        code="kind",
        datatype=rules.Datatype.SINGLE,
        required=True,
        description="类型",
        datatype_description="",
        order=1,
        values=(("a", "甲"), ("b", "乙")),
    )
    assert rules.check_attributes([choice], {"kind": ["a"]}) == {"kind": "a"}
    with pytest.raises(Invalid, match="invalid value"):
        rules.check_attributes([choice], {"kind": ["c"]})


def test_attribute_fields_of_a_form_are_collected() -> None:
    form = [
        ("attribute[site_detail]", "3号楼"),
        ("attribute[tags][]", "a"),
        ("attribute[tags][]", "b"),
        ("description", "x"),
    ]
    assert rules.attribute_values(form) == {"site_detail": ["3号楼"], "tags": ["a", "b"]}


def test_chinese_names_put_the_family_name_first() -> None:
    assert rules.caller_name("三", "张") == "张三"
    assert rules.caller_name("Ann", "Lee") == "Ann Lee"
    assert rules.caller_name("", "张") == "张"


def test_other_parameters_are_checked() -> None:
    with pytest.raises(Invalid, match="http"):
        rules.check_media_url("ftp://x/y.jpg")
    with pytest.raises(Invalid, match="e-mail"):
        rules.check_email("not-an-email")
    with pytest.raises(Invalid, match="number"):
        rules.parse_coordinate("north", "lat")
    with pytest.raises(Invalid, match="finite"):
        rules.parse_coordinate("nan", "lat")
    with pytest.raises(Invalid, match="page_size"):
        rules.parse_positive("1001", "page_size", maximum=1000)
    with pytest.raises(Invalid, match="open or closed"):
        rules.parse_statuses("pending")
    with pytest.raises(NotFound):
        rules.answer_format("html")


def test_xml_repeats_singular_children_and_escapes_text() -> None:
    body = xml.render_object(
        "service_definition",
        {
            "service_code": "010101",
            "attributes": [
                {"code": "a", "required": True, "values": [{"key": "k", "name": "<名>"}]}
            ],
        },
    )
    root = ET.fromstring(body)  # noqa: S314 - our own output
    assert root.tag == "service_definition"
    attribute = root.find("attributes/attribute")
    assert attribute is not None
    assert attribute.findtext("required") == "true"
    assert attribute.findtext("values/value/name") == "<名>"
    listed = ET.fromstring(xml.render_list("errors", "error", [{"code": 400, "description": "x"}]))  # noqa: S314
    assert listed.findtext("error/code") == "400"
