"""Password checks run in worker threads under a limiter of their own (not on the event loop
and not under the default thread limiter the pages share)."""

from __future__ import annotations

import inspect
import threading

import anyio
import anyio.to_thread
from anyio import CapacityLimiter

from civicgrid.auth.api import create_token_by_password
from civicgrid.auth.password_threads import PASSWORD_THREADS, password_limiter, run_password_work
from civicgrid.web.auth.login import login_submit


def test_the_login_routes_are_async_so_they_take_no_default_thread() -> None:
    assert inspect.iscoroutinefunction(create_token_by_password)
    assert inspect.iscoroutinefunction(login_submit)


def test_password_work_runs_in_a_worker_thread_holding_a_slot_of_its_limiter() -> None:
    seen: dict[str, int] = {}

    def work(a: int, *, b: int, limiter: CapacityLimiter) -> int:
        seen["thread"] = threading.get_ident()
        seen["borrowed"] = limiter.borrowed_tokens
        return a + b

    async def main() -> int:
        limiter = password_limiter()
        assert limiter is password_limiter()  # one per event loop
        assert limiter.total_tokens == PASSWORD_THREADS
        assert limiter is not anyio.to_thread.current_default_thread_limiter()
        return await run_password_work(work, 2, b=3, limiter=limiter)

    assert anyio.run(main) == 5
    assert seen["thread"] != threading.get_ident()
    assert seen["borrowed"] == 1


def test_password_work_waits_while_every_slot_is_taken() -> None:
    order: list[str] = []

    async def main() -> None:
        limiter = password_limiter()
        holders = [object() for _ in range(PASSWORD_THREADS)]
        for holder in holders:
            await limiter.acquire_on_behalf_of(holder)
        async with anyio.create_task_group() as tg:
            tg.start_soon(run_password_work, order.append, "login")
            while limiter.statistics().tasks_waiting == 0:
                await anyio.sleep(0)  # let the login reach the limiter
            order.append("slots taken")
            for holder in holders:
                limiter.release_on_behalf_of(holder)
        assert limiter.borrowed_tokens == 0

    anyio.run(main)
    assert order == ["slots taken", "login"]


def test_each_event_loop_gets_its_own_limiter() -> None:
    limiters: list[CapacityLimiter] = []

    async def main() -> None:
        limiters.append(password_limiter())

    anyio.run(main)
    anyio.run(main)
    assert limiters[0] is not limiters[1]
