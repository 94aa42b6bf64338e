"""The issue's done criterion for deliveries: the webhook receiver is down for a while and the service
(a real `mhc serve` process) is killed once in between; when the receiver is back, each alert has
arrived exactly once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from service.clock import now_db
from service.store import alert_destinations, alerts
from service.store.alerts import NewAlert
from service.store.db import open_database
from tests.fakes.alert_receivers import ReceiverFake, make_app
from tests.support.service_process import ServiceProcess, free_port

SECRET = "receiver-signing-secret"
HOOK_TOKEN = "Tok3nOfTheHookUrl"
FAST_RETRIES = {
    "MHC_JOBS_ENABLED": "true",  # the outbox sender runs with the background jobs
    "MHC_JOBS_FIRST_RUN_DELAY_SECONDS": "3600",  # no scheduled job runs during the test
    "MHC_ALERT_RETRY_FIRST_SECONDS": "0.2",
    "MHC_ALERT_RETRY_MAX_SECONDS": "1",
    "MHC_ALERT_OUTBOX_POLL_SECONDS": "0.5",
}


class Receiver:
    """The fake webhook receiver on a fixed port, which can go down and come back."""

    def __init__(self, fake: ReceiverFake, port: int) -> None:
        self.fake, self.port = fake, port
        self.runner: web.AppRunner | None = None

    async def up(self) -> None:
        self.runner = web.AppRunner(make_app(self.fake))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()
        self.runner = None


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.1)


async def test_each_alert_arrives_exactly_once_across_an_outage_and_a_killed_service(tmp_path: Path) -> None:
    fake = ReceiverFake(secret=SECRET)
    receiver = Receiver(fake, free_port())
    await receiver.up()
    service = ServiceProcess(tmp_path / "data", env=FAST_RETRIES)
    await asyncio.to_thread(service.start)
    raised: list[int] = []
    try:
        async with open_database(service.data_dir / "mhc.sqlite3") as db:

            async def raise_alerts(count: int) -> None:
                async with db.transaction() as conn:
                    for _ in range(count):
                        n = len(raised) + 1
                        alert = NewAlert(rule_id=1, kind="big_tip", trigger_key=f"e-{n}", title=f"tip {n}")
                        alert_id = await alerts.raise_alert(conn, alert, at=now_db())
                        assert alert_id is not None
                        raised.append(alert_id)

            async def states() -> dict[str, int]:
                async with db.read() as conn:
                    rows = await conn.execute_fetchall(
                        "SELECT state, count(*) FROM alert_deliveries GROUP BY state"
                    )
                return {row[0]: row[1] for row in rows}

            async def failed_attempts() -> int:
                async with db.read() as conn:
                    rows = await conn.execute_fetchall(
                        "SELECT count(*) FROM alert_deliveries WHERE state = 'pending' AND attempts > 0"
                    )
                return int(next(iter(rows))[0])

            async with db.transaction() as conn:
                await alert_destinations.insert_destination(
                    conn, kind="webhook", name="receiver", target=f"http://127.0.0.1:{receiver.port}/hook/{HOOK_TOKEN}",
                    signing_secret=SECRET, kinds=[], enabled=True, at=now_db(),
                )  # fmt: skip

            # Up: the first alerts arrive (woken by the outbox's timer; the test is another process).
            await raise_alerts(3)
            await until(lambda: _equals(states, {"sent": 3}))

            # Down: alerts keep coming, every attempt fails and is retried with backoff.
            await receiver.down()
            await raise_alerts(3)
            await until(lambda: _at_least(failed_attempts, 1))

            # The service is killed outright in the middle of the outage, alerts come while it is gone.
            assert service.process is not None
            service.process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(service.process.wait, 20)
            service.process = None
            await raise_alerts(2)
            await asyncio.to_thread(service.start)
            await asyncio.sleep(1.5)  # still down after the restart: more failed attempts
            assert (await states()).get("sent") == 3

            # Back: each alert arrives, exactly once.
            await receiver.up()
            await until(lambda: _equals(states, {"sent": 8}))
            await asyncio.sleep(1.5)  # nothing more arrives afterwards
    finally:
        await asyncio.to_thread(service.stop)
        if receiver.runner is not None:
            await receiver.down()
    expected = [f"mhc-alert-{alert_id}-destination-1" for alert_id in raised]
    assert fake.keys() == expected, service.output()
    assert HOOK_TOKEN not in service.output() and SECRET not in service.output()


async def _equals(read: Callable[[], Awaitable[dict[str, int]]], expected: dict[str, int]) -> bool:
    return await read() == expected


async def _at_least(read: Callable[[], Awaitable[int]], minimum: int) -> bool:
    return await read() >= minimum
