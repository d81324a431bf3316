"""Where password checks run: a few worker threads of their own, not the shared thread pool.

An argon2 verification costs about 25 ms of one core (the OWASP minimum setting,
:data:`civicgrid.auth.passwords.PARAMETERS`; a hash stored with RFC 9106's 64 MiB before its
rehash about 0.2 s). Run from a synchronous route, each login would hold one of the 40 tokens
of anyio's default thread limiter for that time, and a burst of logins would queue every page
request of the process behind them. Login routes are ``async`` and hand their whole use case
(throttle counters, argon2, the session or token rows) to :func:`run_password_work`, which
runs it in anyio's worker threads under a limiter of :data:`PASSWORD_THREADS` per event loop:
at most that many password checks run at once in a process, further logins wait for a slot,
and the default limiter stays free for everything else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

# Password checks at once per server process (argon2 releases the GIL, and with one lane each
# check takes one core).
PASSWORD_THREADS = 2

P = ParamSpec("P")
R = TypeVar("R")

# One limiter per event loop (a limiter belongs to the loop it was made in).
_LIMITER: RunVar[CapacityLimiter] = RunVar("civicgrid_password_limiter")


def password_limiter() -> CapacityLimiter:
    """The running event loop's limiter of password work (made on first use)."""
    try:
        return _LIMITER.get()
    except LookupError:
        limiter = CapacityLimiter(PASSWORD_THREADS)
        _LIMITER.set(limiter)
        return limiter


async def run_password_work(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run the synchronous ``fn`` (a login use case) in a worker thread under
    :func:`password_limiter`."""
    return await anyio.to_thread.run_sync(
        functools.partial(fn, *args, **kwargs), limiter=password_limiter()
    )
