"""The dashboard's grid list: most pressing grids first, a page at a time."""

from __future__ import annotations

from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.web.dashboard.figures import GridLoad, grid_map_figures, grid_page


def _grid(n: int, *, received: int = 0, open_now: int = 0, overdue: int = 0) -> GridLoad:
    return GridLoad(n, f"g{n:03d}", f"网格{n}", received, open_now, overdue)


def test_grids_are_ranked_by_overdue_then_open_then_received_then_code() -> None:
    loads = [
        _grid(1),
        _grid(2, received=9),
        _grid(3, open_now=1),
        _grid(4, open_now=5, overdue=1),
        _grid(5, open_now=1),
    ]
    page = grid_page(loads, 1, per_page=10)
    assert [g.region_id for g in page.rows] == [4, 3, 5, 2, 1]
    assert (page.page, page.pages, page.total) == (1, 1, 5)


def test_pages_split_the_list_and_clamp_to_the_last() -> None:
    loads = [_grid(n, received=100 - n) for n in range(1, 8)]
    second = grid_page(loads, 2, per_page=3)
    assert [g.region_id for g in second.rows] == [4, 5, 6]
    assert (second.page, second.pages) == (2, 3)
    assert [g.region_id for g in grid_page(loads, 99, per_page=3).rows] == [7]
    assert grid_page([], 1).pages == 1


def test_map_figures_leave_quiet_grids_out() -> None:
    busy = _grid(1, received=2, open_now=1)
    busy.warning = WarningLevel.RED
    figures = grid_map_figures([busy, _grid(2), _grid(3, received=1)])
    assert figures["grids"] == {"1": [2, 1, 0, "red"], "3": [1, 0, 0, ""]}
