"""Taking a backend's lock, waiting for it as long as the user allows (`--lock-timeout`).

While another run holds the lock, the attempt is repeated after 1 s, then 2, 4, 8 and 16 s
between tries (as Terraform does), until the timeout has passed; a timeout of 0 tries once.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.state.interface import LockInfo, StateBackend, StateLocked

FIRST_WAIT = 1.0
LONGEST_WAIT = 16.0


def acquire(
    backend: StateBackend,
    operation: str,
    *,
    timeout: float,
    sleep: Callable[[float], None],
    monotonic: Callable[[], float],
) -> LockInfo:
    started = monotonic()
    wait = FIRST_WAIT
    while True:
        try:
            return backend.lock(operation)
        except StateLocked as exc:
            remaining = timeout - (monotonic() - started)
            if remaining <= 0:
                if timeout <= 0:
                    raise
                raise StateLocked(exc.holder, exc.where, waited=timeout) from None
            sleep(min(wait, remaining))
            wait = min(wait * 2, LONGEST_WAIT)
