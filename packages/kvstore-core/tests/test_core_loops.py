"""PerLoop: one value per event loop, released with its loop or the store; handed-in clients."""

from __future__ import annotations

import asyncio
import threading

import pytest

from kvstore.core import ConfigurationError, PerLoop


class Client:
    """Stands for a driver client: remembers the loop it was opened on and closed on."""

    def __init__(self) -> None:
        self.opened_on = asyncio.get_running_loop()
        self.closed_on: asyncio.AbstractEventLoop | None = None
        self.closed = threading.Event()

    async def aclose(self) -> None:
        await asyncio.sleep(0)  # a real close awaits its transports
        self.closed_on = asyncio.get_running_loop()
        self.closed.set()


def per_loop(made: list[Client]) -> PerLoop[Client]:
    def open_client() -> Client:
        made.append(Client())
        return made[-1]

    return PerLoop(open_client, Client.aclose)


def test_each_asyncio_run_gets_its_own_value_released_before_its_loop_closes() -> None:
    made: list[Client] = []
    clients = per_loop(made)

    async def use() -> Client:
        first = clients.get()
        await asyncio.sleep(0)
        assert clients.get() is first
        return first

    one, two = asyncio.run(use()), asyncio.run(use())
    assert made == [one, two] and one is not two
    assert one.closed_on is one.opened_on and two.closed_on is two.opened_on


def test_threads_running_their_own_loops_at_once_never_share_a_value() -> None:
    made: list[Client] = []
    clients = per_loop(made)
    barrier = threading.Barrier(4)
    seen: list[bool] = []

    async def use() -> None:
        for _ in range(200):
            client = clients.get()
            seen.append(client.opened_on is asyncio.get_running_loop())
            await asyncio.sleep(0)

    def thread() -> None:
        barrier.wait()
        asyncio.run(use())

    threads = [threading.Thread(target=thread) for _ in range(4)]
    for started in threads:
        started.start()
    for started in threads:
        started.join()
    assert len(seen) == 800 and all(seen)
    assert len(made) == 4
    assert all(client.closed_on is client.opened_on for client in made)


async def test_close_releases_the_running_loops_value_and_a_later_call_opens_a_new_one() -> None:
    made: list[Client] = []
    clients = per_loop(made)
    first = clients.get()
    await clients.close()
    assert first.closed_on is asyncio.get_running_loop()
    second = clients.get()
    assert second is not first and second.closed_on is None
    await clients.close()
    assert second.closed_on is asyncio.get_running_loop()


async def test_close_releases_another_live_loops_value_on_that_loop() -> None:
    made: list[Client] = []
    clients = per_loop(made)
    ready, release = threading.Event(), threading.Event()

    async def hold() -> None:
        clients.get()
        ready.set()
        await asyncio.to_thread(release.wait)

    thread = threading.Thread(target=asyncio.run, args=(hold(),))
    thread.start()
    await asyncio.to_thread(ready.wait)
    await clients.close()
    assert await asyncio.to_thread(made[0].closed.wait, 10)
    release.set()
    await asyncio.to_thread(thread.join)
    assert made[0].closed_on is made[0].opened_on


def test_a_loop_closed_without_shutting_down_is_forgotten() -> None:
    made: list[Client] = []
    clients = per_loop(made)

    async def use() -> Client:
        return clients.get()

    loop = asyncio.new_event_loop()
    # Closed without shutting its async generators down (not through asyncio.run): the
    # value cannot be released any more, but must not be handed to the next loop.
    first = loop.run_until_complete(use())
    loop.close()
    again = asyncio.run(use())
    assert again is not first and first.closed_on is None
    assert again.closed_on is again.opened_on


def test_a_handed_in_value_stays_on_its_first_loop() -> None:
    made: list[Client] = []
    fix = "create the client inside the event loop that uses the store"

    def open_client() -> Client:
        made.append(Client())
        return made[-1]

    clients = PerLoop(open_client, handed_in=fix)

    async def use() -> Client:
        return clients.get()

    def in_other_thread() -> BaseException | None:
        try:
            asyncio.run(use())
        except BaseException as exc:
            return exc
        return None

    async def first_loop() -> None:
        assert clients.get() is clients.get()
        refused = await asyncio.to_thread(in_other_thread)
        assert isinstance(refused, ConfigurationError)
        assert "is another one" in str(refused) and fix in str(refused)
        await clients.close()
        assert clients.get() is made[0]

    asyncio.run(first_loop())
    with pytest.raises(ConfigurationError, match="has closed") as caught:
        asyncio.run(use())
    assert fix in str(caught.value)
    assert len(made) == 1 and made[0].closed_on is None
