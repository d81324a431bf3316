"""Messages that pages show are Chinese only: the text given to ``Invalid``, ``Conflict``,
``Forbidden`` and ``NotFound`` (and to ``add_unique``, which raises a Conflict with it) in the
packages whose errors reach the console and portal pages carries no English sentence or gloss
such as ``(report only in your own grids)``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "civicgrid"

# Packages whose refusals a page shows beside a form or on the error page.
PAGE_REACHED = [
    "appeals/service",
    "appeals/workflow.py",
    "appeals/deadlines.py",
    "appeals/calendar.py",
    "appeals/numbering.py",
    "appeals/knowledge.py",
    "appeals/self_service_rules.py",
    "media",
    "participation",
    "register",
    "dispatch/service",
    "web",
]
RAISING = {"Invalid", "Conflict", "Forbidden", "NotFound", "add_unique"}
# Three English words in a row make a sentence or a gloss; names such as "JPEG、PNG 或 WebP",
# "Open311" or "region / department / utility" do not.
ENGLISH_RUN = re.compile(r"[A-Za-z']{2,}(?: [A-Za-z']{2,}){2,}")


def modules() -> list[Path]:
    found: list[Path] = []
    for entry in PAGE_REACHED:
        path = SRC / entry
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def english_messages(source: str) -> list[tuple[int, str]]:
    """(line, text) of each message literal holding an English run of words."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and _name(node.func) in RAISING):
            continue
        for arg in node.args:
            for part in ast.walk(arg):
                if not isinstance(part, ast.Constant):
                    continue
                text = part.value
                if isinstance(text, str) and ENGLISH_RUN.search(text):
                    found.append((part.lineno, text))
    return found


def test_the_check_finds_a_gloss() -> None:
    source = 'raise Forbidden("只能上报本人负责网格内的问题 (report only in your own grids)")\n'
    assert english_messages(source) == [
        (1, "只能上报本人负责网格内的问题 (report only in your own grids)")
    ]
    assert english_messages('raise Invalid("只接受 JPEG、PNG 或 WebP 图片")\n') == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_page_messages_are_chinese_only(path: Path) -> None:
    assert english_messages(path.read_text(encoding="utf-8")) == []
