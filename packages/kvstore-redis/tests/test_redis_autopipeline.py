"""Auto-pipelining's queue (no server: the pipelines are stand-ins that take their time)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from kvstore.redis._autopipeline import AutoPipeline, Command
from kvstore.redis._deadline import TICKS, Watchdog

BOUND = 0.2


class _Server:
    """Answers each command with its own argument after ``delay`` seconds; notes what it got."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.pipelines: list[list[Any]] = []

    async def single(self, command: Command) -> Any:
        self.pipelines.append([command[1]])
        await asyncio.sleep(self.delay)
        return command[1]

    async def batch(self, commands: list[Command]) -> list[Any]:
        self.pipelines.append([command[1] for command in commands])
        await asyncio.sleep(self.delay)
        return [command[1] for command in commands]


async def test_one_pipeline_is_in_flight_and_the_next_carries_what_queued_meanwhile() -> None:
    server = _Server(0.01)
    pipeline = AutoPipeline(asyncio.get_running_loop(), server.single, server.batch)

    async def late(n: int) -> Any:
        await asyncio.sleep(0.005)  # while the first pipeline is in flight
        return await pipeline.execute(("GET", n))

    replies = await asyncio.gather(
        *(pipeline.execute(("GET", n)) for n in range(3)), *(late(n) for n in range(3, 6))
    )
    assert replies == list(range(6))
    assert server.pipelines == [[0], [1, 2], [3, 4, 5]]


async def test_a_caller_queued_behind_a_slow_pipeline_fails_within_the_bound() -> None:
    loop = asyncio.get_running_loop()
    server = _Server(BOUND * 3)  # a pipeline that takes longer than the bound
    pipeline = AutoPipeline(loop, server.single, server.batch, Watchdog(loop, BOUND))
    first = asyncio.gather(
        *(pipeline.execute(("GET", n)) for n in range(3)), return_exceptions=True
    )
    await asyncio.sleep(BOUND / 2)  # the pipeline of 1 and 2 is in flight
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        await pipeline.execute(("GET", "queued"))
    elapsed = time.monotonic() - start
    # Its own bound, from when it queued: not the pipeline ahead's time plus its own.
    assert BOUND <= elapsed < BOUND * (1 + 1 / TICKS) + 0.1
    outcomes = await first
    assert outcomes[0] == 0  # the lone call (this stand-in does not bound it)
    assert [type(outcome) for outcome in outcomes[1:]] == [TimeoutError] * 2
    await asyncio.sleep(BOUND * 3)
    # It gave up before its turn came: its command was never sent.
    assert server.pipelines == [[0], [1, 2]]


async def test_a_caller_cancelled_while_queued_is_not_sent_and_the_others_are() -> None:
    server = _Server(0.01)
    pipeline = AutoPipeline(asyncio.get_running_loop(), server.single, server.batch)
    first = asyncio.ensure_future(pipeline.execute(("GET", 0)))
    await asyncio.sleep(0)
    waiting = [asyncio.ensure_future(pipeline.execute(("GET", n))) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    waiting[1].cancel()
    assert await first == 0
    assert await waiting[0] == 1
    assert await waiting[2] == 3
    with pytest.raises(asyncio.CancelledError):
        await waiting[1]
    assert server.pipelines == [[0], [1, 3]]


async def test_a_failed_pipeline_fails_its_callers_and_the_next_one_still_goes() -> None:
    calls = 0

    async def single(command: Command) -> Any:
        await asyncio.sleep(0.01)
        return command[1]

    async def batch(commands: list[Command]) -> list[Any]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise ConnectionError("broken")
        return [command[1] for command in commands]

    pipeline = AutoPipeline(asyncio.get_running_loop(), single, batch)

    async def late(n: int) -> Any:
        await asyncio.sleep(0.015)
        return await pipeline.execute(("GET", n))

    outcomes = await asyncio.gather(
        *(pipeline.execute(("GET", n)) for n in range(3)), late(3), return_exceptions=True
    )
    assert outcomes[0] == 0
    assert [type(outcome) for outcome in outcomes[1:3]] == [ConnectionError] * 2
    assert outcomes[3] == 3
