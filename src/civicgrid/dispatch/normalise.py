"""Text normalisation for the dispatch classifier, and the input checks in front of it.

Pure: no I/O, no clock, no model. The same :func:`normalise` runs at training and at
classification time, so anything it changes must be safe to change for both.

What it does, in order:

1. Unicode NFKC: full-width letters, digits and punctuation become half-width (``ＡＢＣ１２３`` →
   ``ABC123``, ``，`` → ``,``), compatibility forms are folded. The full-width ASCII block and
   the ideographic space are mapped by one translate table first; the (slower) full NFKC pass
   runs only when the text is still not in NFKC form afterwards. The result is the same.
2. Traditional → Simplified Chinese, character by character, with the one-character entries of
   zhconv's ``zh-cn`` table (``這裡`` → ``这里``, ``「`` → ``“``), so appeals typed in 繁體
   share features with the simplified training data. zhconv's phrase-level rules are not
   applied: they are pure Python and cost milliseconds per text, and the 5-fold macro-F1 on
   real appeals is the same without them (``乾隆`` becomes ``干隆``; rare in appeals).
3. Lower case (letters of cased scripts; Chinese is unaffected).
4. Placeholders for things that identify a case but say nothing about its category: URLs →
   ``<url>``, e-mail addresses → ``<email>``, mobile and landline numbers → ``<phone>``, any
   other run of 5 or more digits (ID numbers, order numbers, bank cards) → ``<num>``. This also
   keeps personal data out of the model's vocabulary.
5. Emoji and other pictographs are dropped; control characters and lone surrogates become
   spaces; runs of whitespace collapse to one space.

:func:`normalise_many` does all of this for a batch: steps 1–3 and the dropping of step 5 are
one look-up in a per-code-point table over all texts at once (numpy); only texts that need
full NFKC, and the placeholders of texts that contain a trigger, go through Python per text.
The tables take about a quarter of a second to build, once per process, on first use.
:func:`normalise` is the same code for one text.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
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
_EMOJI_RANGES: Final = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x1F1E6, 0x1F1FF),
    (0xFE0E, 0xFE0F),
    (0x200D, 0x200D),
    (0x20E3, 0x20E3),
    (0x1F3FB, 0x1F3FF),
)
_CONTROL_RANGES: Final = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0x200B, 0x200C),
    (0x2028, 0x2029),
    (0xFEFF, 0xFEFF),
)
# Lone surrogates (possible in Python strings decoded from JSON escapes) cannot be encoded.
_SURROGATE_RANGES: Final = ((0xD800, 0xDFFF),)


def _char_class(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile(
        "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]"
    )


_EMOJI = _char_class(_EMOJI_RANGES)
_CONTROL = _char_class(_CONTROL_RANGES)
_SURROGATES = _char_class(_SURROGATE_RANGES)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Necessary conditions for the placeholder patterns: every phone pattern contains three
# digits, an optional separator and three more digits; a long number contains five digits.
_DIGIT_TRIGGER = re.compile(r"\d{3}[- ]?\d{3}|\d{5}")
_FULL_WIDTH: Final = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEPARATOR: Final = "\n"
"""Joins texts for batch regex scans; never inside a text once control characters are mapped."""


class _Tables:
    """Per-code-point tables for :func:`normalise_many`, built once per process, lazily.

    ``width`` folds full-width ASCII and the ideographic space (as ``_FULL_WIDTH``).
    ``chars`` maps control characters, lone surrogates and emoji to a space, traditional
    characters to simplified ones and then everything to its lower case. ``scalar`` marks
    the two characters whose lower case is not a per-character table entry (``İ`` becomes two
    characters, ``Σ`` depends on its neighbours): texts containing them take the step-by-step
    path. ``traditional`` is the one-character conversion dictionary itself.
    """

    def __init__(self) -> None:
        size = 0x110000
        self.width = np.arange(size, dtype=np.uint32)
        for source, target in _FULL_WIDTH.items():
            self.width[source] = target
        zh_cn = _zhconv_tables.getdict("zh-cn")
        self.traditional = {
            ord(k): v for k, v in zh_cn.items() if len(k) == 1 and len(v) == 1 and k != v
        }
        chars = np.arange(size, dtype=np.uint32)
        dropped = np.zeros(size, dtype=bool)
        for low, high in (*_SURROGATE_RANGES, *_CONTROL_RANGES, *_EMOJI_RANGES):
            dropped[low : high + 1] = True
        chars[dropped] = 0x20
        self.scalar = np.zeros(size, dtype=bool)
        for code in np.flatnonzero(~dropped).tolist():
            lower = chr(code).translate(self.traditional).lower()
            if len(lower) == 1:
                chars[code] = ord(lower)
            else:
                self.scalar[code] = True
        self.scalar[0x3A3] = True  # Σ: final or medial sigma depending on its neighbours
        self.chars = chars


_tables: _Tables | None = None
_tables_lock = threading.Lock()


def _lookup_tables() -> _Tables:
    global _tables  # noqa: PLW0603 - one process-wide set of tables, built on first use
    if _tables is None:
        with _tables_lock:
            if _tables is None:
                _tables = _Tables()
    return _tables


def _nfkc(text: str) -> str:
    text = text.translate(_FULL_WIDTH)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def _normalise_one(text: str) -> str:
    """The steps one after another, with regexes and ``str`` methods.

    The reference for :func:`normalise_many`, and its path for texts containing ``İ``/``Σ``.
    """
    text = _nfkc(text)
    for pattern in (_SURROGATES, _CONTROL, _EMOJI):
        text = pattern.sub(" ", text)
    text = text.translate(_lookup_tables().traditional).lower()
    return _finish(text, _DIGIT_TRIGGER.search(text) is not None)


def _finish(text: str, digits: bool) -> str:
    """Placeholders (step 4) and whitespace (step 5); ``digits``: ``_DIGIT_TRIGGER`` matched."""
    if "://" in text or "www." in text:
        text = _URL.sub(f" {URL_MARK} ", text)
    if "@" in text:
        text = _EMAIL.sub(f" {EMAIL_MARK} ", text)
    if digits:
        text = _PHONE.sub(f" {PHONE_MARK} ", text)
        text = _LONG_DIGITS.sub(f" {NUM_MARK} ", text)
    # str.split() splits on exactly the characters that ``\s`` matches (str.isspace).
    return " ".join(text.split())


def _codes(texts: Sequence[str]) -> Any:
    return np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _split(joined: str, lengths: Any) -> list[str]:
    """Cut ``joined`` back into consecutive texts of ``lengths`` characters."""
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    return [joined[a:b] for a, b in zip(starts, ends, strict=True)]


def normalise_many(texts: Sequence[str]) -> list[str]:
    """:func:`normalise` for many texts at once (the same results, several times faster)."""
    if not texts:
        return []
    tables = _lookup_tables()
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    width = tables.width[_codes(texts)].tobytes().decode("utf-32-le", "surrogatepass")
    folded = _split(width, lengths)
    for i, text in enumerate(folded):
        if not unicodedata.is_normalized("NFKC", text):
            folded[i] = unicodedata.normalize("NFKC", text)
            lengths[i] = len(folded[i])
    codes = _codes(folded)
    doc = np.repeat(np.arange(len(texts)), lengths)
    scalar = np.zeros(len(texts), dtype=bool)
    scalar[doc[tables.scalar[codes]]] = True
    # Mapped texts joined by a separator that none of them contains (control characters are
    # spaces now), so that one regex scan finds the texts with a digit trigger.
    joined = np.full(len(codes) + len(texts) - 1, ord(_SEPARATOR), dtype=np.uint32)
    joined[np.arange(len(codes)) + doc] = tables.chars[codes]
    text = joined.tobytes().decode("utf-32-le", "surrogatepass")
    starts = np.cumsum(lengths + 1) - (lengths + 1)
    hits = [m.start() for m in _DIGIT_TRIGGER.finditer(text)]
    digits = np.zeros(len(texts), dtype=bool)
    digits[np.searchsorted(starts, hits, side="right") - 1] = True
    pieces = text.split(_SEPARATOR)
    return [
        _normalise_one(texts[i]) if scalar[i] else _finish(text, bool(digits[i]))
        for i, text in enumerate(pieces)
    ]


def normalise(text: str) -> str:
    """Return the canonical form of ``text`` used for features (see the module docstring)."""
    return normalise_many([text])[0]


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
