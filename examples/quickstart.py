"""Quickstart: kvstore on the embedded stores, memory and disk.

Shows the protocol (put / get / delete in collections), a TTL expiring, batch calls,
a wrapper chain (statistics over a memory cache in front of a disk store) and typed
access with the Pydantic adapter.

Run it with ``bash scripts/demo`` (installs what it needs), or with
``python examples/quickstart.py`` where kvstore-core, kvstore-memory, kvstore-disk and
kvstore-pydantic are installed.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel

from kvstore.core import BaseKVStore, DeserializationError
from kvstore.core.wrappers import PassthroughCacheWrapper, StatisticsWrapper
from kvstore.disk import DiskStore
from kvstore.memory import MemoryStore
from kvstore.pydantic import PydanticAdapter


class User(BaseModel):
    name: str
    email: str
    joined: datetime


async def protocol(store: BaseKVStore) -> None:
    """put / get / delete: every key lives in a collection."""
    print("1. put, get and delete, keys in collections (MemoryStore)")
    await store.put("users", "ada", {"name": "Ada Lovelace", "langs": ["python"]})
    await store.put("sessions", "ada", {"token": "t-123"})
    print(f"   users/ada    -> {await store.get('users', 'ada')}")
    print(f"   sessions/ada -> {await store.get('sessions', 'ada')}")
    removed = await store.delete("sessions", "ada")
    print(f"   delete sessions/ada -> {removed}; get -> {await store.get('sessions', 'ada')}")


async def expiry(store: BaseKVStore) -> None:
    """A TTL in seconds (any float, or a timedelta); expired entries read as missing."""
    print("2. a TTL expiring")
    await store.put("codes", "ada", {"code": "424242"}, ttl=0.25)
    info = await store.ttl("codes", "ada")
    assert info is not None and info.expires_at is not None
    print(f"   codes/ada expires at {info.expires_at:%H:%M:%S.%f} UTC (ttl {info.ttl}s)")
    print(f"   now         -> {await store.get('codes', 'ada')}")
    await asyncio.sleep(0.35)
    print(f"   0.35s later -> {await store.get('codes', 'ada')}")


async def batch(store: BaseKVStore) -> None:
    """Batch calls: one call for many keys, results aligned with the keys."""
    print("3. batch calls")
    await store.put_many("scores", {"ada": {"points": 10}, "bob": {"points": 7}})
    values = await store.get_many("scores", ["ada", "bob", "eve"])
    print(f"   get_many(ada, bob, eve) -> {values}")
    removed = await store.delete_many("scores", ["ada", "bob", "eve"])
    print(f"   delete_many(ada, bob, eve) -> {removed}")


async def wrapper_chain(directory: Path) -> None:
    """Statistics over a read-through memory cache in front of a persistent disk store."""
    print("4. a wrapper chain: StatisticsWrapper(PassthroughCacheWrapper(DiskStore, MemoryStore))")
    async with DiskStore(path=directory) as disk:
        await disk.put("pages", "home", {"html": "<h1>Welcome</h1>"})
    # A new process would start here: the page is on disk, the cache is empty.
    cache = MemoryStore(max_entries=1000)
    chain = StatisticsWrapper(
        PassthroughCacheWrapper(primary_store=DiskStore(path=directory), cache_store=cache)
    )
    async with chain:  # closing the chain closes the disk store and the cache
        print(f"   cached before reading: {await cache.exists('pages', 'home')}")
        for key in ("home", "home", "about"):
            print(f"   get pages/{key} -> {await chain.get('pages', key)}")
        print(f"   cached after reading:  {await cache.exists('pages', 'home')}")
        get = chain.statistics.get_collection("pages").get
        print(f"   statistics for pages.get: count={get.count} hit={get.hit} miss={get.miss}")
        await typed(chain)


async def typed(store: BaseKVStore) -> None:
    """The Pydantic adapter: models in, models out, over any store or chain."""
    print("5. the Pydantic adapter")
    users = PydanticAdapter(store, User)
    joined = datetime(2024, 5, 17, 9, 30, tzinfo=timezone.utc)
    await users.put("members", "ada", User(name="Ada", email="ada@example.org", joined=joined))
    user = await users.get("members", "ada")  # a User (or None), typed as such
    assert user is not None
    print(
        f"   get members/ada -> {type(user).__name__}: {user.name}, joined {user.joined:%Y-%m-%d}"
    )
    print(f"   stored as JSON  -> {await store.get('members', 'ada')}")
    await store.put("members", "bob", {"name": "Bob"})
    try:
        await users.get("members", "bob")
    except DeserializationError as exc:
        print(f"   invalid stored data -> DeserializationError: {exc}")


async def main() -> None:
    async with MemoryStore(max_entries=1000) as memory:
        await protocol(memory)
        await expiry(memory)
        await batch(memory)
    with tempfile.TemporaryDirectory(prefix="kvstore-quickstart-") as directory:
        await wrapper_chain(Path(directory))
    print("done")


if __name__ == "__main__":
    asyncio.run(main())
