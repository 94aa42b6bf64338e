"""Issue 8 item 9: sign-in failures are limited per account, with a lock that grows; no global lockout.

Every client of a loopback service is 127.0.0.1, so a per-client limit let any local process lock
everyone out with random names. The account is the only key that means something.
"""

from __future__ import annotations

import asyncio

from service.ratelimit import LoginThrottle
from tests.support.panel import PASSWORD, Panel, add_user


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: FakeClock) -> LoginThrottle:
    return LoginThrottle(
        free_attempts=5, first_lock_seconds=60, max_lock_seconds=900, forget_after_seconds=86400, clock=clock
    )


def _fail(throttle: LoginThrottle, key: str, times: int = 1) -> None:
    for _ in range(times):
        assert throttle.retry_after(key) == 0
        throttle.record_attempt(key)


def test_free_attempts_then_a_lock() -> None:
    """Five failed attempts are free; the sixth must wait the first lock."""
    clock = FakeClock()
    throttle = _throttle(clock)
    _fail(throttle, "owner", 5)
    assert throttle.retry_after("owner") == 60
    clock.now += 59
    assert throttle.retry_after("owner") == 1
    clock.now += 1
    assert throttle.retry_after("owner") == 0


def test_the_lock_doubles_with_every_further_failure_up_to_the_cap() -> None:
    """60 s, 120 s, 240 s, 480 s, then never more than the 15-minute cap."""
    clock = FakeClock()
    throttle = _throttle(clock)
    _fail(throttle, "owner", 5)
    waits = []
    for _ in range(6):
        wait = throttle.retry_after("owner")
        waits.append(wait)
        clock.now += wait
        _fail(throttle, "owner")
    assert waits == [60, 120, 240, 480, 900, 900]


def test_other_accounts_are_not_affected() -> None:
    """Failures under many names never lock another account."""
    clock = FakeClock()
    throttle = _throttle(clock)
    for i in range(100):
        _fail(throttle, f"guess{i}")
    assert throttle.retry_after("owner") == 0


def test_success_and_a_long_quiet_spell_forgive() -> None:
    """clear() (a successful sign-in) and a day without failures both start the count again."""
    clock = FakeClock()
    throttle = _throttle(clock)
    _fail(throttle, "owner", 5)
    throttle.clear("owner")
    assert throttle.retry_after("owner") == 0
    _fail(throttle, "owner", 5)
    clock.now += 86400
    _fail(throttle, "owner", 5)
    assert throttle.retry_after("owner") == 60


def test_memory_stays_bounded_under_a_flood_of_names() -> None:
    """Forgotten names are dropped, so cycling usernames cannot grow memory without end."""
    clock = FakeClock()
    throttle = _throttle(clock)
    for i in range(30_000):
        throttle.record_attempt(f"name{i}")
        clock.now += 10
    assert throttle.tracked() <= 10_000


async def test_many_failed_names_do_not_lock_out_the_owner(panel: Panel) -> None:
    """20 failed sign-ins with random names from the same client, then the owner signs in."""
    await add_user(panel.app, "owner", "admin")
    await panel.get("/login")
    for i in range(20):
        response = await panel.post("/login", {"username": f"guess{i}", "password": "bad password"})
        assert response.status == 401
    response = await panel.post("/login", {"username": "owner", "password": PASSWORD})
    assert response.status == 303


async def test_brute_force_on_one_account_is_refused_and_says_how_long(panel: Panel) -> None:
    """After the free attempts the account answers 429 with the wait, even to the right password."""
    await add_user(panel.app, "owner", "admin")
    await panel.get("/login")
    for _ in range(5):
        assert (await panel.post("/login", {"username": "owner", "password": "bad password"})).status == 401
    for password in ("another guess", PASSWORD):
        response = await panel.post("/login", {"username": "OWNER", "password": password})
        assert response.status == 429
        assert "Too many failed sign-ins for this account" in await response.text()


async def test_parallel_guesses_cannot_slip_past_the_count(panel: Panel) -> None:
    """Twelve wrong passwords sent at once: only the five free attempts are even checked."""
    await add_user(panel.app, "owner", "admin")
    await panel.get("/login")
    responses = await asyncio.gather(
        *(panel.post("/login", {"username": "owner", "password": f"guess {i}"}) for i in range(12))
    )
    statuses = sorted(response.status for response in responses)
    assert statuses == [401] * 5 + [429] * 7
