"""``civicgrid serve`` tunes the garbage collector once the app is built (run in a child
process: freezing objects in the test process would keep them for the rest of the run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import gc
from civicgrid.app import create_app, tune_gc_for_serving
from civicgrid.config import Settings
app = create_app(Settings(database_url="sqlite://"))  # var files go to CIVICGRID_VAR_DIR
before = gc.get_freeze_count()
tune_gc_for_serving()
print(before, gc.get_freeze_count(), gc.get_threshold()[0])
"""


@pytest.mark.slow  # a child process imports the whole app
def test_serving_freezes_start_up_objects_and_raises_the_young_threshold(tmp_path: Path) -> None:
    env = {**os.environ, "CIVICGRID_VAR_DIR": str(tmp_path)}
    out = subprocess.run(  # noqa: S603 - our own script, fixed text
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    ).stdout.split()
    before, after, threshold = (int(x) for x in out)
    assert before == 0
    assert after > 10_000  # modules, the app and its routes
    assert threshold == 20_000
