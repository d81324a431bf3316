"""The layout of ``civicgrid.web`` (docs/decisions/0002): one sub-package per area over the
helpers in ``web.shared``. Found from the code, so a new page module or area is covered without
being listed anywhere: no page module (a module defining ``router``) imports another page
module, directly or not; no area imports another area; ``web.shared`` imports no area; and
nothing under ``web`` imports the ``civicgrid.web`` package itself."""

from __future__ import annotations

import re
from itertools import permutations
from pathlib import Path

import grimp
import pytest

import civicgrid.web

WEB_DIR = Path(civicgrid.web.__file__).parent
ROUTER = re.compile(r"^router = APIRouter\(", re.MULTILINE)


def _module(path: Path) -> str:
    parts = path.relative_to(WEB_DIR.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def page_modules() -> list[str]:
    return sorted(_module(p) for p in WEB_DIR.rglob("*.py") if ROUTER.search(p.read_text("utf-8")))


def areas() -> list[str]:
    return sorted(
        f"civicgrid.web.{p.parent.name}"
        for p in WEB_DIR.glob("*/__init__.py")
        if p.parent.name != "shared"
    )


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("civicgrid", exclude_type_checking_imports=False)


def test_the_pages_and_areas_are_found() -> None:
    pages = page_modules()
    assert "civicgrid.web.appeals.detail" in pages
    assert "civicgrid.web.shared.render" not in pages
    assert {"civicgrid.web.appeals", "civicgrid.web.portal"} <= set(areas())


def test_no_page_module_imports_another(graph: grimp.ImportGraph) -> None:
    chains = [
        (a, b)
        for a, b in permutations(page_modules(), 2)
        if graph.chain_exists(importer=a, imported=b)
    ]
    assert chains == []


def test_no_area_imports_another(graph: grimp.ImportGraph) -> None:
    chains = [
        (a, b)
        for a, b in permutations(areas(), 2)
        if graph.chain_exists(importer=a, imported=b, as_packages=True)
    ]
    assert chains == []


def test_shared_helpers_import_no_area(graph: grimp.ImportGraph) -> None:
    used = [
        area
        for area in areas()
        if graph.chain_exists(importer="civicgrid.web.shared", imported=area, as_packages=True)
    ]
    assert used == []


def test_nothing_under_web_imports_the_web_package(graph: grimp.ImportGraph) -> None:
    importers = graph.find_modules_that_directly_import("civicgrid.web")
    assert {m for m in importers if m.startswith("civicgrid.web.")} == set()
