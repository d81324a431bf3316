"""Benchmark of the first run: a fresh clone, ``make run``, the time to the first HTTP answer and
the time until the demo year is complete.

Run: ``.venv/bin/python benchmarks/first_run_bench.py [--repo .] [--port 0] [--timeout 1800]
[--keep]``

Clones ``--repo`` (default: this checkout's committed ``HEAD``) into a temporary folder and runs
``make run`` there as a newcomer would, with ``CIVICGRID_VAR_DIR`` and ``CIVICGRID_PORT`` pointing
into the clone and at a free loopback port; the package caches (pip, npm) are whatever this
machine has, so a second run measures the "warm caches" case the target is set for. While it
runs, the benchmark watches, from the start of ``make run``:

- **installed**: the runtime-packages stamp ``.venv/.run-stamp`` appears;
- **assets**: the front-end stamp ``src/civicgrid/web/static/vendor/.stamp`` appears;
- **demo built**: ``make``'s output prints the demo summary line (``已生成：…``);
- **first answer**: ``GET /login`` answers 200 (polled every 0.2 s);
- **usable**: the dispatcher logs in and ``/``, ``/appeals/inbox`` and the first appeal linked
  from it answer 200 (the demo city is usable: log in, workbench, walk an appeal);
- **year complete**: the ``demo_city`` row says ``complete`` (polled every second), i.e. the
  background history build and its model training are done; the appeals in the database are
  counted.

Also printed: the machine (CPU count, model) and the 1-minute load average before and after
(other work on the machine slows every milestone; say how loaded it was with the figures).
Every child process is stopped at the end (the server's process group, and the background
history build by the pid in its row); the clone is removed unless ``--keep``. Stops by itself
after ``--timeout`` seconds. ``make run``'s output is kept in the clone's ``make-run.log``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEMO_USER = "dispatcher"


@dataclass
class Milestones:
    started: float
    at: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        if name not in self.at:
            self.at[name] = time.monotonic() - self.started
            print(f"  {self.at[name]:7.1f} s  {name}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load() -> float:
    return os.getloadavg()[0]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _history(db: Path) -> tuple[str, int, int, int | None] | None:
    """(state, done, total, pid) of the demo_city row, None before it exists."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute(
                "SELECT history_state, history_done, history_total, history_pid FROM demo_city"
            ).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else (str(row[0]), int(row[1]), int(row[2]), row[3])


def _appeals(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM appeal").fetchone()[0])


def _walk(base: str, password: str) -> str:
    """Log in as the dispatcher, open the workbench, the inbox and its first appeal."""
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        client.get("/login")
        r = client.post("/login", data={"username": DEMO_USER, "password": password, "next": "/"})
        if r.status_code != 303:
            return f"login answered {r.status_code}"
        for path in ("/", "/appeals/inbox"):
            page = client.get(path)
            if page.status_code != 200:
                return f"{path} answered {page.status_code}"
        found = re.search(r'href="(/appeals/\d+)"', page.text)
        if found is None:
            return "no appeal linked from the inbox"
        detail = client.get(found.group(1))
        if detail.status_code != 200:
            return f"{found.group(1)} answered {detail.status_code}"
    return ""


def _password(clone: Path) -> str:
    text = (clone / "src/civicgrid/demo/accounts.py").read_text("utf-8")
    found = re.search(r'DEMO_PASSWORD = "([^"]+)"', text)
    if found is None:
        raise SystemExit("cannot find the demo password in the clone")
    return found.group(1)


def _follow(make: subprocess.Popen[str], clone: Path, lines: list[str]) -> threading.Thread:
    """Collect ``make run``'s output (and copy it to the clone's make-run.log) in a thread."""

    def read() -> None:
        assert make.stdout is not None
        with (clone / "make-run.log").open("w", encoding="utf-8") as log:
            for line in make.stdout:
                lines.append(line)
                log.write(line)
                log.flush()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _watch(
    make: subprocess.Popen[str], clone: Path, base: str, marks: Milestones, timeout: float
) -> None:
    db = clone / "var" / "civicgrid.db"
    password = _password(clone)
    lines: list[str] = []
    _follow(make, clone, lines)
    while time.monotonic() - marks.started < timeout:
        if make.poll() is not None:
            raise SystemExit(f"make run stopped with exit code {make.returncode}")
        if (clone / ".venv" / ".run-stamp").exists():
            marks.mark("installed (runtime packages)")
        if (clone / "src/civicgrid/web/static/vendor/.stamp").exists():
            marks.mark("assets copied")
        if any("已生成：" in line for line in lines[-40:]):
            marks.mark("demo city built (recent weeks)")
        if "first answer" not in marks.at:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    marks.mark("first answer")
            except httpx.HTTPError:
                pass
        elif "usable" not in marks.at:
            problem = _walk(base, password)
            if problem:
                raise SystemExit(f"the demo city is not usable: {problem}")
            marks.mark("usable")
        else:
            state = _history(db)
            if state is not None and state[0] == "complete":
                marks.mark("year complete")
                return
            if state is not None and state[0] == "failed":
                raise SystemExit("the background history build failed (see var/demo-history.log)")
            time.sleep(0.8)
        time.sleep(0.2)
    raise SystemExit(f"timed out after {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(ROOT), help="repository to clone (default: here)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    args = parser.parse_args()
    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="civicgrid-first-run-"))
    clone = tmp / "civicgrid"
    subprocess.run(["git", "clone", "-q", args.repo, str(clone)], check=True)
    commit = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs ({_cpu_model()})")
    print(f"clone of {args.repo} at {commit} in {clone}; load average before {_load():.2f}")
    env = {
        **os.environ,
        "CIVICGRID_VAR_DIR": str(clone / "var"),
        "CIVICGRID_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CIVICGRID_DATABASE_URL", None)
    env.pop("VIRTUAL_ENV", None)
    marks = Milestones(started=time.monotonic())
    make = subprocess.Popen(
        ["make", "run"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        _watch(make, clone, base, marks, args.timeout)
        appeals = _appeals(clone / "var" / "civicgrid.db")
    finally:
        state = _history(clone / "var" / "civicgrid.db")
        if state is not None and state[3]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(state[3]), signal.SIGTERM)
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)
            try:
                make.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(make.pid, signal.SIGKILL)
                make.wait()
    print(f"appeals in the demo year: {appeals}; load average after {_load():.2f}")
    print("milestones (seconds from the start of make run):")
    for name, seconds in marks.at.items():
        print(f"  {name:<32} {seconds:7.1f}")
    if args.keep:
        print(f"kept {clone}")
    else:
        subprocess.run(["rm", "-rf", str(tmp)], check=True)


if __name__ == "__main__":
    main()
