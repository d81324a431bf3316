"""A progress bar for long commands (demo build, imports, training, rebuilds).

The domain code reports progress through a plain callback (``done, total``) and never imports
this module; the command line wraps the work in :func:`progress_bar`, which draws a rich bar
with the counts, the rate and an estimate on a terminal and stays silent otherwise (a pipe, a
log file, a test runner). Either way the command prints its own one-line summary at the end.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

ProgressCallback = Callable[[int, int], None]
"""``callback(done, total)``: ``done`` of ``total`` units are finished."""


@dataclass
class Tracker:
    """What a running bar exposes: :meth:`update` (absolute) and :meth:`advance` (relative).

    Without a terminal the tracker still counts, so a caller can print the totals at the end."""

    done: int = 0
    total: int = 0
    _progress: Progress | None = None
    _task: TaskID | None = None

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` (the total stays as it was when not given)."""
        self.done = done
        if total is not None:
            self.total = total
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=self.total or None)

    def advance(self, step: int = 1) -> None:
        """``step`` more units are finished."""
        self.update(self.done + step)

    def start(self, description: str, total: int) -> None:
        """Begin a new phase of the work: a new text, a new total, the counts and the estimate
        from zero."""
        self.done, self.total = 0, total
        if self._progress is not None and self._task is not None:
            self._progress.reset(self._task, total=total or None, description=description)

    def phases(self) -> Callable[[str, int, int], None]:
        """A ``(phase, done, total)`` callback that starts a new phase when the text changes."""
        current: list[str] = []

        def report(phase: str, done: int, total: int) -> None:
            if current != [phase]:
                current[:] = [phase]
                self.start(phase, total)
            self.update(done, total)

        return report

    @property
    def callback(self) -> ProgressCallback:
        """:meth:`update` as the ``(done, total)`` callback the domain code takes."""
        return self.update


def is_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default: stdout) is an interactive terminal."""
    stream = stream if stream is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress_bar(
    description: str,
    total: int = 0,
    *,
    unit: str = "",
    stream: TextIO | None = None,
    enabled: bool | None = None,
) -> Iterator[Tracker]:
    """Draw a bar for the work inside the ``with`` block on ``stream`` (default stdout) when
    it is a terminal (or ``enabled`` says so). ``total`` may be 0 when it is not known yet
    (the bar pulses until :meth:`Tracker.update` gives one). The bar disappears at the end;
    the caller prints its summary line."""
    stream = stream if stream is not None else sys.stdout
    show = is_terminal(stream) if enabled is None else enabled
    tracker = Tracker(total=total)
    if not show:
        yield tracker
        return
    console = Console(file=stream, force_terminal=enabled or None)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TextColumn("已用"),
        TimeElapsedColumn(),
        TextColumn("预计剩余"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True, refresh_per_second=4) as progress:
        tracker._progress = progress
        tracker._task = progress.add_task(description, total=total or None)
        yield tracker


def duration_text(seconds: float) -> str:
    """A duration for a summary line: ``42 秒`` or ``3 分 05 秒``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} 秒"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} 分 {rest:02d} 秒"
