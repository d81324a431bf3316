"""Reading back the PDFs the platform draws with reportlab (the 每月一题 brief): the page count
and the lines of text, without a PDF library in the test environment.

reportlab writes each line with one ``(…) Tj`` in a page's content stream (Flate-compressed,
then ASCII85);
text in the built-in CID font ``STSong-Light`` is UTF-16BE inside the literal string, with
PDF string escapes (``\\(``, ``\\)``, ``\\\\``, octal ``\\ddd``).
"""

from __future__ import annotations

import base64
import contextlib
import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\n?endstream", re.S)
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_SHOW = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def page_count(pdf: bytes) -> int:
    """How many page objects the file holds."""
    return len(_PAGE.findall(pdf))


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        ch = raw[i : i + 1]
        if ch != b"\\":
            out += ch
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        if nxt.isdigit():
            digits = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            assert digits is not None
            out.append(int(digits.group(), 8) & 0xFF)
            i += 1 + len(digits.group())
        else:
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def text_lines(pdf: bytes) -> list[str]:
    """Every string the content streams show, in drawing order, as text (UTF-16BE, the CID
    font's encoding)."""
    lines: list[str] = []
    for match in _STREAM.finditer(pdf):
        data = match.group(1).strip()
        if data.endswith(b"~>"):  # ASCII85 around the Flate data, as reportlab writes it
            data = base64.a85decode(data[:-2].replace(b"\n", b""))
        with contextlib.suppress(zlib.error):
            data = zlib.decompress(data)
        for shown in _SHOW.finditer(data):
            lines.append(_unescape(shown.group(1)).decode("utf-16-be", errors="replace"))
    return lines
