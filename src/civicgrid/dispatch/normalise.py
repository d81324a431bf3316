"""Text normalisation for the dispatch classifier, and the input checks in front of it.

Pure: no I/O, no clock, no model. The same :func:`normalise` runs at training and at
classification time, so anything it changes must be safe to change for both.

What it does, in order:

1. Unicode NFKC: full-width letters, digits and punctuation become half-width (``ＡＢＣ１２３`` →
   ``ABC123``, ``，`` → ``,``), compatibility forms are folded. The full-width ASCII block and
   the ideographic space are mapped by one translate table first; the (slower) full NFKC pass
   runs only when the text is still not in NFKC form afterwards. The result is the same.
2. Traditional → Simplified Chinese (zhconv, ``zh-cn`` table), so appeals typed in 繁體 share
   features with the simplified training data. zhconv is pure Python and slow, so it runs only
   when the text contains a character that the table converts on its own (a traditional
   character). Text that is already simplified is left as it is; zhconv's phrase-level
   mainland-usage corrections of simplified text (``回覆`` → ``回复``) are not applied.
3. Lower case (Latin letters only are affected).
4. Placeholders for things that identify a case but say nothing about its category: URLs →
   ``<url>``, e-mail addresses → ``<email>``, mobile and landline numbers → ``<phone>``, any
   other run of 5 or more digits (ID numbers, order numbers, bank cards) → ``<num>``. This also
   keeps personal data out of the model's vocabulary.
5. Emoji and other pictographs are dropped; control characters become spaces; runs of
   whitespace collapse to one space.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Final

import zhconv
from zhconv import zhconv as _zhconv_tables

from civicgrid.errors import Invalid

MAX_TEXT_CHARS: Final = 10_000
"""Longest text accepted for classification (characters, before normalisation)."""

URL_MARK: Final = "<url>"
EMAIL_MARK: Final = "<email>"
PHONE_MARK: Final = "<phone>"
NUM_MARK: Final = "<num>"

_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'，。；！？、]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Mainland mobile (optionally +86 / 86 prefixed) and landline numbers (area code + 7–8 digits,
# optional extension). Digits glued to other digits are not phone numbers (see _LONG_DIGITS).
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}"
    r"|0\d{2,3}[- ]?\d{7,8}(?:[- ]?\d{1,4})?"
    r"|(?:400|800)[- ]?\d{3}[- ]?\d{4})(?!\d)"
)
_LONG_DIGITS = re.compile(r"\d{5,}(?:x(?![a-z]))?")
# Emoji, pictographs, dingbats, variation selectors and the zero-width joiner used in emoji
# sequences; regional-indicator flags.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff"
    "\U0000fe0e\U0000fe0f\U0000200d\U000020e3\U0001f3fb-\U0001f3ff]"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b\u200c\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Cheap pre-checks: each placeholder pattern needs these to match at all.
_THREE_DIGITS = re.compile(r"\d{3}")  # every phone pattern and every run of >= 5 digits
_FULL_WIDTH: Final = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_traditional: frozenset[str] | None = None
_traditional_lock = threading.Lock()


def _traditional_chars() -> frozenset[str]:
    """Characters that zhconv's ``zh-cn`` table converts on their own (loaded once, lazily)."""
    global _traditional  # noqa: PLW0603 - one process-wide table, built on first use
    if _traditional is None:
        with _traditional_lock:
            if _traditional is None:
                table = _zhconv_tables.getdict("zh-cn")
                _traditional = frozenset(k for k, v in table.items() if len(k) == 1 and k != v)
    return _traditional


def _nfkc(text: str) -> str:
    text = text.translate(_FULL_WIDTH)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def normalise(text: str) -> str:
    """Return the canonical form of ``text`` used for features (see the module docstring)."""
    text = _nfkc(text)
    text = _CONTROL.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    if not _traditional_chars().isdisjoint(text):
        text = zhconv.convert(text, "zh-cn")
    text = text.lower()
    if "://" in text or "www." in text:
        text = _URL.sub(f" {URL_MARK} ", text)
    if "@" in text:
        text = _EMAIL.sub(f" {EMAIL_MARK} ", text)
    if _THREE_DIGITS.search(text):
        text = _PHONE.sub(f" {PHONE_MARK} ", text)
        text = _LONG_DIGITS.sub(f" {NUM_MARK} ", text)
    return _SPACES.sub(" ", text).strip()


def has_chinese(text: str) -> bool:
    """Whether ``text`` contains at least one CJK ideograph."""
    return _CJK.search(text) is not None


def check_text(text: str) -> str:
    """Validate raw appeal text for classification and return it stripped.

    Raises :class:`~civicgrid.errors.Invalid` for text that is not a string, empty or blank,
    or longer than :data:`MAX_TEXT_CHARS` characters. Text without any Chinese character is
    *not* an error here: the classifier answers it with "no prediction" (an empty list).
    """
    if not isinstance(text, str):
        raise Invalid(f"诉求内容必须是文本，收到的是 {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise Invalid("诉求内容为空，无法分类")
    if len(stripped) > MAX_TEXT_CHARS:
        raise Invalid(
            f"诉求内容过长（{len(stripped)} 字），超过 {MAX_TEXT_CHARS} 字的上限，请精简后再提交"
        )
    return stripped


def join_fields(parts: list[str]) -> str:
    """Join several text fields of one appeal (e.g. title and detail) into one text.

    Empty fields are skipped; fields are separated by a full stop-like space so that
    character n-grams do not run across the boundary more than necessary.
    """
    return " ".join(p.strip() for p in parts if p and p.strip())
