"""The progress bar of long commands: drawn on a terminal with counts and an estimate, silent
otherwise, and the counts kept either way for the summary line."""

from __future__ import annotations

import io

from civicgrid.kit.progress import duration_text, is_terminal, progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_terminal_nothing_is_drawn_but_the_counts_are_kept() -> None:
    out = io.StringIO()
    assert not is_terminal(out)
    with progress_bar("导入", 10, stream=out) as bar:
        for _ in range(4):
            bar.advance()
        bar.callback(7, 12)
    assert out.getvalue() == ""
    assert (bar.done, bar.total) == (7, 12)


def test_on_a_terminal_the_bar_shows_the_counts_and_an_estimate() -> None:
    out = _Terminal()
    assert is_terminal(out)
    with progress_bar("导入人房", 200, unit="人", stream=out) as bar:
        bar.update(50)
    text = out.getvalue()
    assert "导入人房" in text
    assert "50/200" in text
    assert "预计剩余" in text


def test_phases_restart_the_counts_under_a_new_text() -> None:
    out = _Terminal()
    with progress_bar("生成演示城市", stream=out) as bar:
        report = bar.phases()
        report("区划与人房", 1, 1)
        report("近期诉求", 30, 700)
        assert (bar.done, bar.total) == (30, 700)
        report("近期诉求", 60, 700)
        assert (bar.done, bar.total) == (60, 700)
        report("训练派单模型", 0, 1)
        assert (bar.done, bar.total) == (0, 1)
    assert "训练派单模型" in out.getvalue()


def test_durations_read_in_seconds_then_minutes() -> None:
    assert duration_text(4.4) == "4 秒"
    assert duration_text(59.4) == "59 秒"
    assert duration_text(185) == "3 分 05 秒"
