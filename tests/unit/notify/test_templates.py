"""Notice templates, addresses and the SMS gateway's request body: pure rules."""

from __future__ import annotations

import json

import pytest

from civicgrid.notify.addresses import normalise
from civicgrid.notify.gateway import GatewayConfig, GatewayRefused, request_body
from civicgrid.notify.templates import (
    DEFAULTS,
    PLACEHOLDERS,
    NoticeKind,
    NoticeText,
    check_text,
    fields_of,
    render,
)


def test_every_default_uses_only_its_placeholders_and_names_no_one() -> None:
    for kind, text in DEFAULTS.items():
        assert check_text(kind, text) == text
        assert set(fields_of(text.subject + text.body)) <= set(PLACEHOLDERS[kind])
    for offered in PLACEHOLDERS.values():
        assert not {"name", "caller", "phone", "caller_name"} & set(offered)


def test_render_fills_the_placeholders() -> None:
    text = render(DEFAULTS[NoticeKind.TRACKING_NUMBER], {"number": "20261124-0001"})
    assert "工单编号20261124-0001" in text.body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{caller_name}您好，工单{number}已受理", r"未知的占位符：\{caller_name\}"),
        ("工单{number", "花括号不成对"),
        ("工单{0}", "占位符写法不对"),
        ("工单{number!r}", "占位符写法不对"),
        ("", "请填写标题和正文"),
        ("长" * 501, "正文不超过 500 字"),
    ],
)
def test_bad_templates_are_refused_with_the_reason(body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_text(NoticeKind.TRACKING_NUMBER, NoticeText("受理回执", body))


def test_a_deadline_placeholder_belongs_to_the_staff_warning_only() -> None:
    text = NoticeText("提醒", "工单{number}{stage}")
    assert check_text(NoticeKind.DEADLINE_WARNING, text) == text
    with pytest.raises(ValueError, match="stage"):
        check_text(NoticeKind.REPLY_READY, text)


@pytest.mark.parametrize(
    ("channel", "raw", "stored"),
    [
        ("sms", "138 1234 5678", "13812345678"),
        ("sms", "+8613812345678", "13812345678"),
        ("email", " Wang@Example.CN ", "wang@example.cn"),
    ],
)
def test_addresses_are_normalised(channel: str, raw: str, stored: str) -> None:
    assert normalise(channel, raw) == stored


@pytest.mark.parametrize(
    ("channel", "raw", "message"),
    [
        ("sms", "12812345678", "手机号码格式不对"),
        ("sms", "1381234567", "手机号码格式不对"),
        ("email", "wang@", "电子邮件地址格式不对"),
        ("wechat", "wx", "未知的通知渠道"),
    ],
)
def test_bad_addresses_are_refused(channel: str, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise(channel, raw)


def test_the_gateway_body_follows_the_vendor_configuration() -> None:
    config = GatewayConfig(
        url="https://sms.example.cn/send",
        body='{"PhoneNumbers": "{phone}", "SignName": "{sign_name}",'
        ' "TemplateCode": "{template_id}", "TemplateParam": "{params}", "Extra": [1, "{text}"]}',
        sign_name="某区12345",
        templates={"tracking_number": "SMS_1001"},
        param_names={"number": "code"},
    )
    body = request_body(
        config,
        phone="13812345678",
        kind="tracking_number",
        text="已受理",
        params={"number": "20261124-0001"},
    )
    assert json.loads(body) == {
        "PhoneNumbers": "13812345678",
        "SignName": "某区12345",
        "TemplateCode": "SMS_1001",
        "TemplateParam": {"code": "20261124-0001"},
        "Extra": [1, "已受理"],
    }


def test_a_gateway_body_that_is_not_json_is_refused() -> None:
    with pytest.raises(GatewayRefused, match="不是合法 JSON"):
        request_body(
            GatewayConfig(url="https://x.cn", body="{phone}"),
            phone="1",
            kind="k",
            text="t",
            params={},
        )
