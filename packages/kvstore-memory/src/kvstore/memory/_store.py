"""MemoryStore: a bounded in-process store with per-entry TTLs that reclaims expired entries."""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from heapq import heapify, heappop, heappush
from typing import TypeVar

from kvstore.core import ATOMIC_OPERATIONS, InProcessKVStore, Record
from kvstore.core.errors import ConfigurationError

_Name = tuple[str, str]
T = TypeVar("T")
KEEP = InProcessKVStore.KEEP

_monotonic = time.monotonic

PAGE_SIZE = 1_000
"""Keys per page yielded by ``iter_keys``."""
SLOTS_PER_SECOND = 100.0
"""Expiry slots per second: entries expiring within one 10 ms slot share a bucket, reclaimed
together once the slot is over."""
_SLOT_MARGIN = 0.001
"""Seconds past a slot's end before its bucket is reclaimed, so float rounding in the slot
arithmetic can never reclaim an entry a moment before it expires."""
REAPER_BUDGET = 1_000
"""Entries one reaper run reclaims before yielding the event loop (1-2 ms)."""
WRITE_BUDGET = 4
"""Entries each key written with a TTL may reclaim, so a loop that never idles reclaims too."""
_SHRINK_AFTER = 4_096
"""Removed entries after which the table is rebuilt, since a dict never shrinks on deletion."""
_INF = float("inf")
_FAR = 1e12
"""Deadlines later than this (monotonic seconds; about 31,700 years) share its slot, which
keeps the slot arithmetic finite for the longest TTLs (never reclaimed in practice)."""


def _slot(deadline: float) -> float:
    """The expiry slot of a deadline (monotonic seconds)."""
    return (deadline if deadline < _FAR else _FAR) * SLOTS_PER_SECOND // 1.0


def _slot_end(slot: float) -> float:
    """When every entry of an expiry slot has expired (monotonic seconds)."""
    return (slot + 1) / SLOTS_PER_SECOND + _SLOT_MARGIN


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


class MemoryStore(InProcessKVStore):
    """An in-process store: bounded, least recently used entry evicted first, TTL per entry.

    Each entry holds core's record (a private snapshot of the value and its times, with no
    JSON envelope), so nothing a caller holds is ever shared with the store. Expiry is
    computed on the monotonic clock. Expired entries are hidden at once and reclaimed without
    any call: writes with a TTL reclaim a few that are due, and a timer on the running event
    loop reclaims the rest shortly after they expire. The store is safe to use from several
    event loops, in one thread or several.

    Args:
        max_entries: the most entries held at once; writing past it reclaims an expired
            entry if one is due, else evicts the least recently used (read or written) one.

    Raises:
        ConfigurationError: ``max_entries`` is not an int >= 1.
    """

    atomic_operations = ATOMIC_OPERATIONS

    def __init__(self, max_entries: int = 1000) -> None:
        if type(max_entries) is not int or max_entries < 1:
            raise ConfigurationError(f"max_entries must be an int >= 1, got {max_entries!r}")
        super().__init__()
        self._max_entries = max_entries
        self._entries: OrderedDict[_Name, Record] = OrderedDict()
        """Every entry, least recently used first."""
        self._buckets: dict[float, set[_Name]] = {}
        """The names of the entries with a TTL, by expiry slot (``expiry * 100 // 1``); every
        such entry is in exactly one bucket, and a bucket is never empty."""
        self._slots: list[float] = []
        """A heap of expiry slots: every slot of ``_buckets``, and slots whose bucket is gone."""
        self._due = _INF
        """When the earliest slot of ``_slots`` is over: nothing is reclaimable before."""
        self._removed = 0
        """Entries reclaimed or removed in bulk since the table was last rebuilt."""
        # Operations run inside one event loop step at a time, but stores shared by loops
        # in several threads need their compound updates to be atomic. Reentrant, so that an
        # update function given to _update_record that calls back into the store cannot
        # deadlock; the store's own paths never take it twice (they write with _hold), and
        # it costs no more than a plain Lock taken with acquire/release (callgrind).
        self._lock = threading.RLock()
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

    def _read_record(self, collection: str, key: str) -> Record | None:
        # Core decides expiry from the record's deadline; an expired entry it hides is
        # reclaimed with its bucket. acquire/release rather than ``with``: half the cost.
        name = (collection, key)
        lock = self._lock
        lock.acquire()
        try:
            entries = self._entries
            record = entries.get(name)
            if record is not None:
                entries.move_to_end(name)
            return record
        finally:
            lock.release()

    def _read_records(self, collection: str, keys: list[str]) -> list[Record | None]:
        records: list[Record | None] = []
        append = records.append
        with self._lock:
            entries = self._entries
            get = entries.get
            move_to_end = entries.move_to_end
            for key in keys:
                name = (collection, key)
                record = get(name)
                if record is not None:
                    move_to_end(name)
                append(record)
        return records

    def _write_record(self, collection: str, key: str, record: Record) -> None:
        name = (collection, key)
        lock = self._lock
        lock.acquire()
        try:
            # pop and insert: the entry moves to the most recently used end, and the old
            # record's deadline (if any) tells which bucket to take the name out of.
            self._hold(name, record, self._entries.pop(name, None))
        finally:
            lock.release()

    def _hold(self, name: _Name, record: Record, old: Record | None) -> None:
        """Hold ``record`` for ``name`` in place of ``old`` (popped already), lock held."""
        entries = self._entries
        entries[name] = record
        deadline = record.deadline
        if deadline is None:
            if old is not None and old.deadline is not None:
                self._unbucket(name, old.deadline)
        else:
            # _slot() written out, here and for the old deadline: this is every put's path.
            slot = (deadline if deadline < _FAR else _FAR) * SLOTS_PER_SECOND // 1.0
            if old is not None and (old_deadline := old.deadline) is not None:
                old_slot = (old_deadline if old_deadline < _FAR else _FAR) * SLOTS_PER_SECOND // 1.0
                if old_slot != slot:
                    # _unbucket() written out too.
                    old_bucket = self._buckets.get(old_slot)
                    if old_bucket is not None:
                        old_bucket.discard(name)
                        if not old_bucket:
                            del self._buckets[old_slot]
            bucket = self._buckets.get(slot)
            # The clock, not record.created: touch and increment write records that
            # keep their first write's time (0.4% of a put's instructions).
            now = _monotonic()
            if bucket is None:
                self._open_bucket(slot, {name}, now)
            else:
                bucket.add(name)
            if now >= self._due:
                self._reclaim(now, WRITE_BUDGET)
        if len(entries) > self._max_entries:
            self._evict()

    def _update_record(
        self,
        collection: str,
        key: str,
        update: Callable[[Record | None], tuple[Record | None, T]],
    ) -> T:
        name = (collection, key)
        lock = self._lock
        lock.acquire()
        try:
            current = self._entries.get(name)
            new, result = update(current)
            if new is KEEP:
                if current is not None:
                    self._entries.move_to_end(name)
            elif new is None:
                if current is not None:
                    self._drop(name)
            else:
                self._hold(name, new, self._entries.pop(name, None))
        finally:
            lock.release()
        return result

    def _write_record_if(
        self, collection: str, key: str, record: Record | None, version: str | None, now: float
    ) -> bool:
        # add and put_versioned in one step under the lock, with no update function to call.
        name = (collection, key)
        lock = self._lock
        lock.acquire()
        try:
            entries = self._entries
            # Popped, then held again (at the most recently used end, as a read leaves it)
            # when nothing is written: one lookup where a get and a pop would make two.
            current = entries.pop(name, None)
            if current is not None and (current.deadline is None or current.deadline > now):
                # A record never read by get_versioned has no token yet: no caller holds one.
                if version is None or getattr(current, "version", None) != version:
                    entries[name] = current
                    return False
            elif version is not None or record is None:
                if current is not None:
                    entries[name] = current
                return version is None
            if record is not None:
                self._hold(name, record, current)
            elif current is not None and current.deadline is not None:
                # Written already expired, over the live entry of ``version``: it goes.
                self._unbucket(name, current.deadline)
            return True
        finally:
            lock.release()

    def _drop(self, name: _Name) -> Record | None:
        """Remove the entry of ``name``, with the lock held; return its record."""
        record = self._entries.pop(name, None)
        if record is not None and record.deadline is not None:
            self._unbucket(name, record.deadline)
        return record

    def _write_records(self, collection: str, entries: list[tuple[str, Record]]) -> None:
        with self._lock:
            table = self._entries
            pop = table.pop
            unbucket = self._unbucket
            # One batch, one deadline (core gives every record of a batch the same one).
            deadline = entries[0][1].deadline if entries else None
            names: set[_Name] = set()
            for key, record in entries:
                name = (collection, key)
                old = pop(name, None)
                table[name] = record
                if old is not None and old.deadline is not None:
                    unbucket(name, old.deadline)
                if deadline is not None:
                    names.add(name)
            if deadline is not None:
                slot = _slot(deadline)
                bucket = self._buckets.get(slot)
                now = entries[0][1].created
                if bucket is None:
                    self._open_bucket(slot, names, now)
                else:
                    bucket.update(names)
                if now >= self._due:
                    self._reclaim(now, WRITE_BUDGET * len(entries))
            if len(table) > self._max_entries:
                self._evict()

    async def _remove(self, collection: str, key: str) -> bool:
        with self._lock:
            record = self._drop((collection, key))
        if record is None:
            return False
        deadline = record.deadline
        return deadline is None or deadline > _monotonic()

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        removed = 0
        with self._lock:
            pop = self._entries.pop
            now = _monotonic()
            for key in keys:
                name = (collection, key)
                record = pop(name, None)
                if record is not None:
                    self._removed += 1
                    deadline = record.deadline
                    if deadline is None:
                        removed += 1
                        continue
                    self._unbucket(name, deadline)
                    if deadline > now:
                        removed += 1
            self._shrink()
        return removed

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        # A snapshot: the table cannot be iterated across awaits while others write to it.
        with self._lock:
            now = _monotonic()
            keys = [
                key
                for (name, key), record in self._entries.items()
                if name == collection and (record.deadline is None or record.deadline > now)
            ]
        for start in range(0, len(keys), PAGE_SIZE):
            yield keys[start : start + PAGE_SIZE]

    async def _collections(self) -> list[str]:
        with self._lock:
            now = _monotonic()
            return list(
                {
                    name
                    for (name, _), record in self._entries.items()
                    if record.deadline is None or record.deadline > now
                }
            )

    async def _clear(self, collection: str) -> int:
        removed = 0
        with self._lock:
            entries = self._entries
            now = _monotonic()
            doomed = [name for name in entries if name[0] == collection]
            for name in doomed:
                deadline = entries.pop(name).deadline
                if deadline is None:
                    removed += 1
                    continue
                self._unbucket(name, deadline)
                if deadline > now:
                    removed += 1
            self._removed += len(doomed)
            self._shrink()
        return removed

    async def _cull(self) -> None:
        with self._lock:
            now = _monotonic()
            self._reclaim(now, None)
            # What remains due sits in the slot now running (or the one just over): check
            # each of its entries' own expiry.
            current = _slot(now)
            entries = self._entries
            for slot in [slot for slot in self._buckets if slot <= current]:
                for name in list(self._buckets[slot]):
                    deadline = entries[name].deadline
                    if deadline is not None and deadline <= now:
                        del entries[name]
                        self._unbucket(name, deadline)
                        self._removed += 1
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

    def _unbucket(self, name: _Name, deadline: float) -> None:
        """Take ``name`` out of the bucket of its entry's ``deadline``."""
        slot = _slot(deadline)
        bucket = self._buckets.get(slot)
        if bucket is not None:
            bucket.discard(name)
            if not bucket:
                del self._buckets[slot]

    def _open_bucket(self, slot: float, names: set[_Name], now: float) -> None:
        """Start the bucket of ``slot`` with ``names``; make sure a reaper will reclaim it."""
        buckets = self._buckets
        buckets[slot] = names
        slots = self._slots
        heappush(slots, slot)
        if len(slots) > 2 * len(buckets) + 64:
            # Slots of buckets emptied by deletes and rewrites stay in the heap; drop them.
            self._slots = slots = list(buckets)
            heapify(slots)
        self._due = _slot_end(slots[0])
        self._arm_reaper(now, _slot_end(slot))

    def _reclaim(self, now: float, budget: int | None) -> bool:
        """Remove the entries of buckets whose slot is over (at most ``budget`` of them).

        Returns False if some remain to reclaim.
        """
        slots = self._slots
        buckets = self._buckets
        entries = self._entries
        reclaimed = 0
        done = True
        while slots and _slot_end(slots[0]) <= now:
            bucket = buckets.get(slots[0])
            if bucket is not None:
                while bucket:
                    if budget is not None and reclaimed >= budget:
                        break
                    del entries[bucket.pop()]
                    reclaimed += 1
                if bucket:
                    done = False
                    break
                del buckets[slots[0]]
            heappop(slots)
        self._removed += reclaimed
        self._due = _slot_end(slots[0]) if slots else _INF
        return done

    def _evict(self) -> None:
        """Bring the table back to ``max_entries``: expired entries first, then the LRU ones."""
        entries = self._entries
        while len(entries) > self._max_entries:
            now = _monotonic()
            if now >= self._due:
                before = len(entries)
                self._reclaim(now, 1)
                if len(entries) < before:
                    continue
            name, record = entries.popitem(last=False)
            if record.deadline is not None:
                self._unbucket(name, record.deadline)

    def _shrink(self) -> None:
        """Rebuild the table once many entries were removed, to hand its memory back."""
        if self._removed > max(_SHRINK_AFTER, 4 * len(self._entries)):
            self._entries = self._entries.copy()
            self._removed = 0

    def _arm_reaper(self, now: float, when: float) -> None:
        """Make sure the running loop's reaper fires by ``when``."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # Driven outside asyncio (e.g. another async framework): writes still reclaim.
            return
        reaper = self._reapers.get(loop)
        if reaper is not None and reaper.when <= when:
            return
        if reaper is None:
            for other in [other for other in self._reapers if other.is_closed()]:
                del self._reapers[other]
            reaper = self._reapers[loop] = _Reaper()
        elif reaper.handle is not None:
            reaper.handle.cancel()
        reaper.when = when
        reaper.handle = loop.call_later(when - now, _reap, self._ref, loop)

    def _reap(self, loop: asyncio.AbstractEventLoop) -> None:
        """One reaper run on ``loop``: reclaim what is due, then re-arm for the next slot."""
        with self._lock:
            reaper = self._reapers.get(loop)
            if reaper is None:
                return
            now = _monotonic()
            done = self._reclaim(now, REAPER_BUDGET)
            self._shrink()
            if not self._slots:
                reaper.when = _INF
                reaper.handle = None
                return
            reaper.when = self._due if done else now
            reaper.handle = loop.call_later(max(0.0, reaper.when - now), _reap, self._ref, loop)

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(max_entries={self._max_entries!r}, entries={len(self._entries)})"


def _runs_here(loop: asyncio.AbstractEventLoop) -> bool:
    """True if ``loop`` is the event loop running in this thread."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
