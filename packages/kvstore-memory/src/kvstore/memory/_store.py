"""MemoryStore: a bounded in-process store with per-entry TTLs that reclaims expired entries."""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator
from heapq import heapify, heappop, heappush

from kvstore.core import BaseKVStore, Record
from kvstore.core.errors import ConfigurationError

_Name = tuple[str, str]
_Entry = tuple[Record, float | None]
"""(core's record, expiry on the monotonic clock or None)."""

_monotonic = time.monotonic

PAGE_SIZE = 1_000
"""Keys per page yielded by ``iter_keys``."""
REAPER_DELAY = 0.05
"""Seconds the reaper waits past the earliest expiry, so close expiries are reclaimed together."""
REAPER_BUDGET = 1_000
"""Expiry records one reaper run handles before yielding the event loop (2-3 ms)."""
WRITE_BUDGET = 4
"""Expiry records each key written with a TTL handles, so a loop that never idles reclaims too."""
_SHRINK_AFTER = 4_096
"""Removed entries after which the table is rebuilt, since a dict never shrinks on deletion."""


class _Reaper:
    """The reaper timer of one event loop: its handle and when it fires (monotonic)."""

    __slots__ = ("handle", "when")

    def __init__(self) -> None:
        self.handle: asyncio.TimerHandle | None = None
        self.when = float("inf")


def _reap(store_ref: weakref.ReferenceType[MemoryStore], loop: asyncio.AbstractEventLoop) -> None:
    """Run a reaper pass if the store still exists (a dropped store is not kept alive)."""
    store = store_ref()
    if store is not None:
        store._reap(loop)


class MemoryStore(BaseKVStore):
    """An in-process store: bounded, least recently used entry evicted first, TTL per entry.

    Each entry holds core's record (a private snapshot of the value and its times: the
    store holds metadata natively, with no JSON envelope), so nothing a caller holds is
    ever shared with the store. Expiry is computed on the monotonic clock. Expired entries are
    hidden at once and reclaimed without any call: writes with a TTL reclaim a few that
    are due, and a timer on the running event loop reclaims the rest shortly after they
    expire. The store is safe to use from several event loops, in one thread or several.

    Args:
        max_entries: the most entries held at once; writing past it reclaims an expired
            entry if one is due, else evicts the least recently used (read or written) one.

    Raises:
        ConfigurationError: ``max_entries`` is not an int >= 1.
    """

    _native_records = True

    def __init__(self, max_entries: int = 1000) -> None:
        if type(max_entries) is not int or max_entries < 1:
            raise ConfigurationError(f"max_entries must be an int >= 1, got {max_entries!r}")
        self._max_entries = max_entries
        self._entries: OrderedDict[_Name, _Entry] = OrderedDict()
        """Every entry, least recently used first."""
        self._expiries: list[tuple[float, _Name]] = []
        """A heap of (expiry, name) for entries written with a TTL; stale records allowed."""
        self._removed = 0
        """Entries reclaimed or removed in bulk since the table was last rebuilt."""
        # Operations run inside one event loop step at a time, but stores shared by loops
        # in several threads need their compound dict and heap updates to be atomic.
        self._lock = threading.Lock()
        self._reapers: dict[asyncio.AbstractEventLoop, _Reaper] = {}
        self._ref = weakref.ref(self)

    @property
    def max_entries(self) -> int:
        """The most entries held at once."""
        return self._max_entries

    @property
    def entry_count(self) -> int:
        """How many entries are held now, expired ones not yet reclaimed included."""
        return len(self._entries)

    # -- primitives -------------------------------------------------------------------

    async def _read_record(self, collection: str, key: str) -> Record | None:
        name = (collection, key)
        with self._lock:
            entries = self._entries
            entry = entries.get(name)
            if entry is None:
                return None
            expires = entry[1]
            if expires is not None and expires <= _monotonic():
                del entries[name]
                return None
            entries.move_to_end(name)
            return entry[0]

    async def _read_records(self, collection: str, keys: list[str]) -> list[Record | None]:
        records: list[Record | None] = []
        append = records.append
        with self._lock:
            entries = self._entries
            get = entries.get
            move_to_end = entries.move_to_end
            now = _monotonic()
            for key in keys:
                name = (collection, key)
                entry = get(name)
                if entry is None:
                    append(None)
                elif entry[1] is not None and entry[1] <= now:
                    del entries[name]
                    append(None)
                else:
                    move_to_end(name)
                    append(entry[0])
        return records

    async def _write_record(
        self, collection: str, key: str, record: Record, ttl: float | None
    ) -> None:
        name = (collection, key)
        with self._lock:
            entries = self._entries
            if ttl is None:
                entries[name] = (record, None)
                entries.move_to_end(name)
            else:
                now = _monotonic()
                expires = now + ttl
                entries[name] = (record, expires)
                entries.move_to_end(name)
                heappush(self._expiries, (expires, name))
                self._track(now, expires, WRITE_BUDGET)
            if len(entries) > self._max_entries:
                self._evict()

    async def _write_records(
        self, collection: str, entries: list[tuple[str, Record]], ttl: float | None
    ) -> None:
        with self._lock:
            table = self._entries
            move_to_end = table.move_to_end
            if ttl is None:
                for key, record in entries:
                    name = (collection, key)
                    table[name] = (record, None)
                    move_to_end(name)
            else:
                now = _monotonic()
                expires = now + ttl
                heap = self._expiries
                for key, record in entries:
                    name = (collection, key)
                    table[name] = (record, expires)
                    move_to_end(name)
                    heappush(heap, (expires, name))
                self._track(now, expires, WRITE_BUDGET * len(entries))
            if len(table) > self._max_entries:
                self._evict()

    async def _remove(self, collection: str, key: str) -> bool:
        with self._lock:
            entry = self._entries.pop((collection, key), None)
        if entry is None:
            return False
        return entry[1] is None or entry[1] > _monotonic()

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        removed = 0
        with self._lock:
            pop = self._entries.pop
            now = _monotonic()
            for key in keys:
                entry = pop((collection, key), None)
                if entry is not None:
                    self._removed += 1
                    if entry[1] is None or entry[1] > now:
                        removed += 1
            self._shrink()
        return removed

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        # A snapshot: the table cannot be iterated across awaits while others write to it.
        with self._lock:
            now = _monotonic()
            keys = [
                key
                for (name, key), (_, expires) in self._entries.items()
                if name == collection and (expires is None or expires > now)
            ]
        for start in range(0, len(keys), PAGE_SIZE):
            yield keys[start : start + PAGE_SIZE]

    async def _collections(self) -> list[str]:
        with self._lock:
            now = _monotonic()
            return list(
                {
                    name
                    for (name, _), (_, expires) in self._entries.items()
                    if expires is None or expires > now
                }
            )

    async def _clear(self, collection: str) -> int:
        removed = 0
        with self._lock:
            entries = self._entries
            now = _monotonic()
            doomed = [name for name in entries if name[0] == collection]
            for name in doomed:
                expires = entries.pop(name)[1]
                if expires is None or expires > now:
                    removed += 1
            self._removed += len(doomed)
            self._shrink()
        return removed

    async def _cull(self) -> None:
        with self._lock:
            self._reclaim(_monotonic(), None)
            entries = self._entries
            self._expiries = [
                (expires, name) for name, (_, expires) in entries.items() if expires is not None
            ]
            heapify(self._expiries)
            self._shrink()

    async def _close(self) -> None:
        with self._lock:
            reapers, self._reapers = self._reapers, {}
        for loop, reaper in reapers.items():
            if reaper.handle is None:
                continue
            if loop.is_running() and not _runs_here(loop):
                # TimerHandle.cancel is not thread-safe: cancel it from its own loop.
                loop.call_soon_threadsafe(reaper.handle.cancel)
            else:
                reaper.handle.cancel()

    # -- expiry bookkeeping (called with the lock held) ---------------------------------

    def _track(self, now: float, expires: float, budget: int) -> None:
        """After a TTL write: reclaim up to ``budget`` due records, prune stale ones, arm reaper."""
        heap = self._expiries
        if heap[0][0] <= now:
            self._reclaim(now, budget)
        if len(heap) > 2 * len(self._entries) + 64:
            # Overwritten and evicted entries leave stale records; drop them now and then.
            self._expiries = heap = [
                (when, name) for name, (_, when) in self._entries.items() if when is not None
            ]
            heapify(heap)
        self._arm_reaper(now, expires)

    def _reclaim(self, now: float, budget: int | None) -> bool:
        """Pop expiry records due at ``now`` (at most ``budget``); False if some remain due."""
        heap = self._expiries
        entries = self._entries
        reclaimed = 0
        handled = 0
        while heap and heap[0][0] <= now:
            if budget is not None and handled >= budget:
                self._removed += reclaimed
                return False
            expires, name = heappop(heap)
            handled += 1
            entry = entries.get(name)
            # A record is stale if the entry was since removed or rewritten with another expiry.
            if entry is not None and entry[1] == expires:
                del entries[name]
                reclaimed += 1
        self._removed += reclaimed
        return True

    def _evict(self) -> None:
        """Bring the table back to ``max_entries``: expired entries first, then the LRU ones."""
        entries = self._entries
        heap = self._expiries
        while len(entries) > self._max_entries:
            if heap and heap[0][0] <= (now := _monotonic()):
                self._reclaim(now, 1)
            else:
                entries.popitem(last=False)

    def _shrink(self) -> None:
        """Rebuild the table once many entries were removed, to hand its memory back."""
        if self._removed > max(_SHRINK_AFTER, 4 * len(self._entries)):
            self._entries = self._entries.copy()
            self._removed = 0

    def _arm_reaper(self, now: float, expires: float) -> None:
        """Make sure the running loop's reaper fires soon after ``expires``."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # Driven outside asyncio (e.g. another async framework): writes still reclaim.
            return
        reaper = self._reapers.get(loop)
        if reaper is not None and reaper.when <= expires + REAPER_DELAY:
            return
        if reaper is None:
            for other in [other for other in self._reapers if other.is_closed()]:
                del self._reapers[other]
            reaper = self._reapers[loop] = _Reaper()
        elif reaper.handle is not None:
            reaper.handle.cancel()
        reaper.when = expires + REAPER_DELAY
        reaper.handle = loop.call_later(reaper.when - now, _reap, self._ref, loop)

    def _reap(self, loop: asyncio.AbstractEventLoop) -> None:
        """One reaper run on ``loop``: reclaim due entries, then re-arm for the next expiry."""
        with self._lock:
            reaper = self._reapers.get(loop)
            if reaper is None:
                return
            now = _monotonic()
            done = self._reclaim(now, REAPER_BUDGET)
            self._shrink()
            heap = self._expiries
            if done and not heap:
                reaper.when = float("inf")
                reaper.handle = None
                return
            reaper.when = heap[0][0] + REAPER_DELAY if done else now
            reaper.handle = loop.call_later(reaper.when - now, _reap, self._ref, loop)

    def __repr__(self) -> str:
        return f"MemoryStore(max_entries={self._max_entries!r}, entries={len(self._entries)})"


def _runs_here(loop: asyncio.AbstractEventLoop) -> bool:
    """True if ``loop`` is the event loop running in this thread."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
