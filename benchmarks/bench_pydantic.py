"""PydanticAdapter against the store it wraps: ``python -m benchmarks.bench_pydantic``.

All variants use one MemoryStore prefilled with the same entries. The reference is the
store itself, given and returning plain dicts (what the adapter cannot beat); "by hand" is
what an application without the adapter writes: ``model_dump(mode="json")`` before ``put``
and ``model_validate`` after ``get``. Prints a markdown table of median ops/s (keys/s for
batch cases) and ratios to the plain store.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from kvstore.memory import MemoryStore
from kvstore.pydantic import PydanticAdapter

from ._harness import Case, report, run_cases

COLLECTION = "bench"
PREFILL = 1_000
BATCH = 100


class Address(BaseModel):
    city: str
    zip: str


class User(BaseModel):
    name: str
    email: str
    age: int
    active: bool
    joined: datetime
    tags: list[str]
    address: Address


USER = User(
    name="Ada Lovelace",
    email="ada@example.com",
    age=36,
    active=True,
    joined=datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc),
    tags=["math", "engines"],
    address=Address(city="London", zip="W1"),
)
VALUE: dict[str, Any] = USER.model_dump(mode="json")
KEYS = [f"user-{index}" for index in range(PREFILL)]


def build_cases(store: MemoryStore, ops: int) -> list[Case]:
    """The get, put, get_many and put_many cases over one store."""
    adapter = PydanticAdapter(store, User)
    keys = [KEYS[index % PREFILL] for index in range(ops)]
    batches = [keys[start : start + BATCH] for start in range(0, ops, BATCH)]

    async def get_plain() -> int:
        for key in keys:
            await store.get(COLLECTION, key)
        return ops

    async def get_by_hand() -> int:
        for key in keys:
            value = await store.get(COLLECTION, key)
            if value is not None:
                User.model_validate(value)
        return ops

    async def get_adapter() -> int:
        for key in keys:
            await adapter.get(COLLECTION, key)
        return ops

    async def put_plain() -> int:
        for key in keys:
            await store.put(COLLECTION, key, VALUE)
        return ops

    async def put_by_hand() -> int:
        for key in keys:
            await store.put(COLLECTION, key, USER.model_dump(mode="json"))
        return ops

    async def put_adapter() -> int:
        for key in keys:
            await adapter.put(COLLECTION, key, USER)
        return ops

    async def get_many_plain() -> int:
        for batch in batches:
            await store.get_many(COLLECTION, batch)
        return ops

    async def get_many_adapter() -> int:
        for batch in batches:
            await adapter.get_many(COLLECTION, batch)
        return ops

    async def put_many_plain() -> int:
        for batch in batches:
            await store.put_many(COLLECTION, dict.fromkeys(batch, VALUE))
        return ops

    async def put_many_adapter() -> int:
        for batch in batches:
            await adapter.put_many(COLLECTION, dict.fromkeys(batch, USER))
        return ops

    plain = "store, dicts"
    return [
        Case(
            "get",
            plain,
            {plain: get_plain, "by hand": get_by_hand, "PydanticAdapter": get_adapter},
        ),
        Case(
            "put",
            plain,
            {plain: put_plain, "by hand": put_by_hand, "PydanticAdapter": put_adapter},
        ),
        Case(
            f"get_many ({BATCH})",
            plain,
            {plain: get_many_plain, "PydanticAdapter": get_many_adapter},
        ),
        Case(
            f"put_many ({BATCH})",
            plain,
            {plain: put_many_plain, "PydanticAdapter": put_many_adapter},
        ),
    ]


async def main(ops: int, repetitions: int) -> None:
    store = MemoryStore(max_entries=PREFILL * 2)
    await store.put_many(COLLECTION, dict.fromkeys(KEYS, VALUE))
    cases = build_cases(store, ops)
    await run_cases(cases, repetitions=repetitions)
    await store.close()
    print(report(f"PydanticAdapter over MemoryStore ({ops} ops per repetition)", cases))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=20_000, help="operations per repetition")
    parser.add_argument("--repetitions", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.ops, arguments.repetitions))
