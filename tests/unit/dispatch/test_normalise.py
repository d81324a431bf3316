"""Normalisation and input checks in front of the classifier."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.dispatch.normalise import (
    MAX_TEXT_CHARS,
    _normalise_one,
    check_text,
    has_chinese,
    join_fields,
    normalise,
    normalise_many,
)
from civicgrid.errors import Invalid


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３，小区停水", "abc123,小区停水"),  # full-width → half-width, lower case
        ("這裡的路燈壞了", "这里的路灯坏了"),  # traditional → simplified
        ("  小区\t\n停水   三天 ", "小区 停水 三天"),  # whitespace collapses
        ("详见 https://example.com/a?b=1 谢谢", "详见 <url> 谢谢"),
        ("详见www.example.cn/x页面", "详见 <url>"),
        ("联系电话13812345678", "联系电话 <phone>"),
        ("联系电话 +86 138-1234-5678 谢谢", "联系电话 <phone> 谢谢"),
        ("座机010-87654321转12", "座机 <phone> 转12"),
        ("身份证11010519491231002X号", "身份证 <num> 号"),
        ("工单号2024112300001", "工单号 <num>"),
        ("发邮件到 someone@example.com", "发邮件到 <email>"),
        ("3号楼202室", "3号楼202室"),  # short numbers stay: they carry no identity
        ("太吵了😡😡请处理👍🏻", "太吵了 请处理"),  # emoji dropped
        ("零\u200b宽\x00字符", "零 宽 字符"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_is_idempotent() -> None:
    once = normalise("這裡ＡＢＣ 13812345678 https://a.cn 😀")
    assert normalise(once) == once


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_check_text_refuses_blank(text: str) -> None:
    with pytest.raises(Invalid, match="为空"):
        check_text(text)


def test_check_text_refuses_over_long_text() -> None:
    with pytest.raises(Invalid, match="过长"):
        check_text("停" * (MAX_TEXT_CHARS + 1))
    assert check_text(" " + "停" * MAX_TEXT_CHARS + " ") == "停" * MAX_TEXT_CHARS


def test_check_text_refuses_non_strings() -> None:
    with pytest.raises(Invalid, match="文本"):
        check_text(None)  # type: ignore[arg-type]


def test_has_chinese() -> None:
    assert has_chinese("no water 停水")
    assert not has_chinese("no water since Monday 😡")


def test_join_fields_skips_blanks() -> None:
    assert join_fields(["标题", "", "  ", "详情"]) == "标题 详情"


@pytest.mark.parametrize(
    "raw",
    [
        "ＡＢＣ１２３，小区停水",
        "ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ　详见",
        "㈠ 第一条 ﬁle ①号楼 ㎡ 半角ｶﾀｶﾅ",
        "全角空格　分隔　的文字",
    ],
)
def test_fast_width_folding_equals_nfkc(raw: str) -> None:
    """The translate table + conditional NFKC give exactly what plain NFKC gives."""
    import unicodedata

    from civicgrid.dispatch.normalise import _nfkc

    assert _nfkc(raw) == unicodedata.normalize("NFKC", raw)


def test_traditional_detection() -> None:
    assert normalise("沒有熱水") == "没有热水"
    assert normalise("「投訴」") == normalise("“投诉”")
    assert normalise("小区没有热水") == "小区没有热水"  # already simplified: unchanged


# Characters that exercise every step: full-width and compatibility forms, traditional
# characters, Latin with special lower-casing, digits and separators of the placeholders,
# control characters, emoji, lone surrogates, whitespace.
_ALPHABET = st.sampled_from(
    [
        *"停水這裡沒強「」ＡＢ１２０，…①㎡ΣİAbc@.:/w-+ 0123456789\t\n\x00\u3000\u200b😡👍🏻",
        *["\ud800", "\udfff", "ﬁ", "Å", "e", "\u0301"],
    ]
)
_TEXTS = st.lists(st.text(_ALPHABET, max_size=40), max_size=8)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_batch_equals_reference_step_by_step(texts: list[str]) -> None:
    assert normalise_many(texts) == [_normalise_one(t) for t in texts]


def test_batch_keeps_text_boundaries() -> None:
    """Digits at the end of one text and the start of the next do not form a number."""
    assert normalise_many(["编号12", "345", "", "电话13812345678"]) == [
        "编号12",
        "345",
        "",
        "电话 <phone>",
    ]
    assert normalise_many([]) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("停水\ud800了", "停水 了"),  # lone surrogate (from a JSON escape) becomes a space
        ("ΟΔΟΣ İstanbul", "οδος i̇stanbul"),  # context-dependent and two-character lower case
        ("乾淨的水", "干净的水"),  # traditional characters mapped one by one
    ],
)
def test_special_characters(raw: str, expected: str) -> None:
    assert normalise(raw) == expected
