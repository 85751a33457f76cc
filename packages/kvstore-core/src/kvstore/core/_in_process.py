"""InProcessKVStore: the base of stores that hold entries in process, as records (no envelope)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from . import _envelope
from ._atomic import (
    Versioned,
    check_amount,
    check_count,
    count_of,
    new_versioned,
    set_value,
    set_version,
    unsupported,
)
from ._base import BaseKVStore, Value, check_version
from ._snapshot import Snapshot, SnapshotCodec, snapshot_codec
from ._ttl_info import TTLInfo
from ._validation import TTL, check_items, check_keys, check_name, normalize_ttl

_monotonic = time.monotonic
_new_record = object.__new__
_INF = float("inf")
T = TypeVar("T")

KEEP: Any = object()
"""What an update given to ``InProcessKVStore._update_record`` returns to leave the entry as is."""


class Record:
    """An entry as an in-process store holds it: a private copy of the value and its times.

    ``created`` and ``deadline`` (None: never expires) are on the monotonic clock
    (``time.monotonic()``), so a change of the system clock neither expires nor revives
    entries; ``ttl()`` turns them into wall-clock times when asked. Core builds a record on
    every write; the store holds it as it is, hands the same record back, and may read its
    ``deadline`` to reclaim expired entries.
    """

    # A class with slots rather than a NamedTuple: reading a field is as fast as indexing a
    # tuple (a NamedTuple's are slower), and a put builds it for less (docs/decisions.md).
    __slots__ = ("created", "deadline", "snapshot", "ttl", "version")

    def __init__(
        self, snapshot: Snapshot, created: float, ttl: float | None, deadline: float | None
    ) -> None:
        self.snapshot = snapshot
        """The value's copy, made by the store's codec; only its ``thaw`` reads it."""
        self.created = created
        """When the entry was written (monotonic seconds)."""
        self.ttl = ttl
        """The TTL it was written with (seconds), or None."""
        self.deadline = deadline
        """When it expires (monotonic seconds), or None for never."""
        # ``version`` (a str) is left unset: core gives a record its version token the
        # first time ``get_versioned`` reads it, so writes pay nothing for versions.

    if TYPE_CHECKING:
        version: str

    def __repr__(self) -> str:
        return f"Record(created={self.created!r}, ttl={self.ttl!r}, deadline={self.deadline!r})"


class InProcessKVStore(BaseKVStore):
    """A store that holds each entry in process as a :class:`Record`, with no envelope.

    Core checks the value and copies it with :attr:`codec` on every write, builds the record,
    and decides expiry from the record's deadline on every read, handing back a fresh value.
    A backend implements ``_read_record`` and ``_write_record`` (batch forms optional) besides
    ``_remove``, ``_scan`` and ``_collections``; the envelope primitives (``_read``,
    ``_write``) are not used. Record primitives are plain methods, not coroutines: an
    in-process store has nothing to wait for, and they run on the event loop, so they must not
    block. A subclass's ``__init__`` calls ``super().__init__()``.
    """

    KEEP: ClassVar[Any] = KEEP
    """What an update given to ``_update_record`` returns to leave the entry as is."""

    codec: ClassVar[SnapshotCodec] = snapshot_codec()
    """How values are copied: orjson with the ``kvstore-core[orjson]`` extra, else marshal.
    A subclass may set another codec (:func:`kvstore.core.snapshot_codec`)."""

    def __init__(self) -> None:
        # Every get and put uses the codec: an instance attribute is found faster than a
        # class one (docs/decisions.md).
        self._codec = self.codec
        self._versions = itertools.count(1)

    # -- primitives a backend implements -------------------------------------------

    def _read_record(self, collection: str, key: str) -> Record | None:
        """Return the record stored for (collection, key), or None."""
        raise NotImplementedError

    def _read_records(self, collection: str, keys: list[str]) -> list[Record | None]:
        """Return the records of ``keys`` in order (duplicates possible)."""
        return [self._read_record(collection, key) for key in keys]

    def _write_record(self, collection: str, key: str, record: Record) -> None:
        """Hold ``record`` as it is for (collection, key), replacing any entry."""
        raise NotImplementedError

    def _write_records(self, collection: str, entries: list[tuple[str, Record]]) -> None:
        """Hold every (key, record) pair; every record of a batch has the same times."""
        for key, record in entries:
            self._write_record(collection, key, record)

    def _update_record(
        self,
        collection: str,
        key: str,
        update: Callable[[Record | None], tuple[Record | None, T]],
    ) -> T:
        """Replace the entry of (collection, key) by what ``update`` decides, atomically.

        ``update(current)`` gets the record held (None if missing; it may be expired) and
        returns ``(new, result)``: ``new`` is :data:`KEEP` to leave the entry as is, a
        record to hold instead, or None to remove it; ``result`` is returned. Nothing else
        may change the entry between the read and the write: hold the store's lock around
        both (``update`` is quick and never blocks). If ``update`` raises, nothing changes.
        """
        raise NotImplementedError

    def _write_record_if(
        self, collection: str, key: str, record: Record | None, version: str | None, now: float
    ) -> bool:
        """Hold ``record`` only if the entry is as the caller expects, atomically.

        The entry is as expected when the live entry (live at ``now``, monotonic) has the
        version token ``version``, or, with ``version`` None, when there is no live entry.
        Then ``record`` replaces the entry, or with ``record`` None the live entry (if any)
        is removed, and the answer is True; otherwise nothing changes and it is False. This is
        ``add`` and ``put_versioned``; the default runs on ``_update_record``, and a backend
        may do it in one step of its own.
        """

        def update(current: Record | None) -> tuple[Record | None, bool]:
            if current is None or not _is_live(current, now):
                if version is not None:
                    return KEEP, False
                return (KEEP if record is None else record), True
            # A record never read by get_versioned has no token yet: no caller holds one.
            if version is None or getattr(current, "version", None) != version:
                return KEEP, False
            return record, True

        return self._update_record(collection, key, update)

    # -- the protocol over records ------------------------------------------------------

    async def get(self, collection: str, key: str) -> Value | None:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        record = self._read_record(collection, key)
        if record is None:
            return None
        deadline = record.deadline
        if deadline is not None and deadline <= _monotonic():
            return None
        value: Value = self._codec.thaw(record.snapshot)
        return value

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        seconds: float | None
        if ttl is None:
            seconds = None
        elif type(ttl) is float and 0.0 < ttl < _INF:
            seconds = ttl  # the common case, without a call
        else:
            seconds = normalize_ttl(ttl)
        snapshot = self._codec.snapshot(collection, key, value)
        if seconds is not None and seconds <= 0:
            await self._remove(collection, key)
            return
        now = _monotonic()
        # Record.__init__ written out: a class call costs a put 5% more instructions.
        record = _new_record(Record)
        record.snapshot = snapshot
        record.created = now
        record.ttl = seconds
        record.deadline = None if seconds is None else now + seconds
        self._write_record(collection, key, record)

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        key_list = check_keys(collection, keys)
        if not key_list:
            return []
        records = self._read_records(collection, key_list)
        now = _monotonic()
        thaw = self._codec.thaw
        return [
            None
            if record is None or (record.deadline is not None and record.deadline <= now)
            else thaw(record.snapshot)
            for record in records
        ]

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        pairs = check_items(collection, items)
        seconds = normalize_ttl(ttl)
        now = _monotonic()
        deadline = None if seconds is None else now + seconds
        snapshot = self._codec.snapshot
        entries: list[tuple[str, Record]] = []
        for key, value in pairs:
            # Record.__init__ written out, as in put.
            record = _new_record(Record)
            record.snapshot = snapshot(collection, key, value)
            record.created = now
            record.ttl = seconds
            record.deadline = deadline
            entries.append((key, record))
        if not entries:
            return
        if seconds is not None and seconds <= 0:
            await self._remove_many(collection, [key for key, _ in entries])
            return
        self._write_records(collection, entries)

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        record = self._read_record(collection, key)
        if record is None or (record.deadline is not None and record.deadline <= _monotonic()):
            return None, None
        return self._codec.thaw(record.snapshot), _info(collection, key, record)

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        key_list = check_keys(collection, keys)
        if not key_list:
            return []
        records = self._read_records(collection, key_list)
        now = _monotonic()
        thaw = self._codec.thaw
        return [
            (None, None)
            if record is None or (record.deadline is not None and record.deadline <= now)
            else (thaw(record.snapshot), _info(collection, key, record))
            for key, record in zip(key_list, records, strict=True)
        ]

    # -- atomic operations over records ----------------------------------------------------

    async def add(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> bool:
        if "add" not in self.atomic_operations:
            raise unsupported(self, "add")
        # The checks and the record written out as put writes them (each call saved is about
        # 2% of an add's instructions).
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        seconds: float | None
        if ttl is None:
            seconds = None
        elif type(ttl) is float and 0.0 < ttl < _INF:
            seconds = ttl
        else:
            seconds = normalize_ttl(ttl)
        snapshot = self._codec.snapshot(collection, key, value)
        now = _monotonic()
        record: Record | None = None
        if seconds is None or seconds > 0:
            record = _new_record(Record)
            record.snapshot = snapshot
            record.created = now
            record.ttl = seconds
            record.deadline = None if seconds is None else now + seconds
        # else: written already expired, nothing to hold; the answer is whether it was absent.
        return self._write_record_if(collection, key, record, None, now)

    async def take(self, collection: str, key: str) -> Value | None:
        if "take" not in self.atomic_operations:
            raise unsupported(self, "take")
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        now = _monotonic()

        def update(current: Record | None) -> tuple[Record | None, Record | None]:
            if current is None or not _is_live(current, now):
                return KEEP, None
            return None, current

        taken = self._update_record(collection, key, update)
        if taken is None:
            return None
        value: Value = self._codec.thaw(taken.snapshot)
        return value

    async def touch(self, collection: str, key: str, ttl: TTL) -> bool:
        if "touch" not in self.atomic_operations:
            raise unsupported(self, "touch")
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        seconds = normalize_ttl(ttl)
        now = _monotonic()

        def update(current: Record | None) -> tuple[Record | None, bool]:
            if current is None or not _is_live(current, now):
                return KEEP, False
            if seconds is not None and seconds <= 0:
                return None, True
            # A new record (the store files entries by deadline); the value is shared,
            # since a snapshot is never changed.
            touched = _record(current.snapshot, current.created, seconds)
            touched.deadline = None if seconds is None else now + seconds
            return touched, True

        return self._update_record(collection, key, update)

    async def get_versioned(self, collection: str, key: str) -> Versioned[Value] | None:
        if "get_versioned" not in self.atomic_operations:
            raise unsupported(self, "get_versioned")
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        record = self._read_record(collection, key)
        if record is None:
            return None
        deadline = record.deadline
        if deadline is not None and deadline <= _monotonic():
            return None
        try:
            version = record.version
        except AttributeError:
            # Two threads giving one record its first token at once may both assign one; the
            # later wins, and put_versioned with the other sees a conflict: a retry, never a
            # wrong write.
            version = record.version = str(next(self._versions))
        versioned: Versioned[Value] = new_versioned(Versioned)
        set_value(versioned, self._codec.thaw(record.snapshot))
        set_version(versioned, version)
        return versioned

    async def put_versioned(
        self, collection: str, key: str, value: Value, *, version: str | None, ttl: TTL = None
    ) -> bool:
        if "put_versioned" not in self.atomic_operations:
            raise unsupported(self, "put_versioned")
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        if version is not None and type(version) is not str:
            check_version(collection, key, version)
        seconds: float | None
        if ttl is None:
            seconds = None
        elif type(ttl) is float and 0.0 < ttl < _INF:
            seconds = ttl
        else:
            seconds = normalize_ttl(ttl)
        snapshot = self._codec.snapshot(collection, key, value)
        now = _monotonic()
        record: Record | None = None
        if seconds is None or seconds > 0:
            record = _new_record(Record)
            record.snapshot = snapshot
            record.created = now
            record.ttl = seconds
            record.deadline = None if seconds is None else now + seconds
            # Its token now: the next get_versioned of an optimistic update reads this record,
            # and giving it one here costs a fifth of what that read pays to (an exception).
            record.version = str(next(self._versions))
        # else: written already expired: the live entry with ``version`` (if any) goes.
        return self._write_record_if(collection, key, record, version, now)

    async def increment(
        self, collection: str, key: str, amount: int = 1, *, ttl: TTL = None
    ) -> int:
        if "increment" not in self.atomic_operations:
            raise unsupported(self, "increment")
        if type(collection) is not str or type(key) is not str or not collection or not key:
            check_name(collection, key)
        amount = check_amount(collection, key, amount)
        seconds = normalize_ttl(ttl)
        codec = self._codec
        now = _monotonic()

        def update(current: Record | None) -> tuple[Record | None, int]:
            if current is None or not _is_live(current, now):
                if seconds is not None and seconds <= 0:
                    return KEEP, amount  # created already expired: nothing to hold
                snapshot = codec.snapshot(collection, key, {"count": amount})
                return _record(snapshot, now, seconds), amount
            count = check_count(
                collection, key, count_of(collection, key, codec.thaw(current.snapshot)) + amount
            )
            # Written now, as every backend reports it; it keeps its TTL and deadline.
            counted = _record(codec.snapshot(collection, key, {"count": count}), now, current.ttl)
            counted.deadline = current.deadline
            return counted, count

        return self._update_record(collection, key, update)


def _is_live(record: Record | None, now: float) -> bool:
    """True for a record that has not expired at ``now`` (monotonic seconds)."""
    return record is not None and (record.deadline is None or record.deadline > now)


def _record(snapshot: Snapshot, created: float, ttl: float | None) -> Record:
    """A record written at ``created`` (monotonic) with ``ttl``."""
    return Record(snapshot, created, ttl, None if ttl is None else created + ttl)


def _info(collection: str, key: str, record: Record) -> TTLInfo:
    """Return the TTLInfo of a record read for (collection, key), in wall-clock time."""
    to_wall = time.time() - _monotonic()
    deadline = record.deadline
    return _envelope.info(
        collection,
        key,
        record.created + to_wall,
        record.ttl,
        None if deadline is None else deadline + to_wall,
    )


__all__ = ["InProcessKVStore", "Record"]
