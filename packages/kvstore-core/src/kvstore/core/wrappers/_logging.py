"""LoggingWrapper: one structured log record per operation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL
from ..errors import SerializationError
from ._base import BaseWrapper
from ._retry import close_iterator

T = TypeVar("T")
Fields = dict[str, Any]

DEFAULT_LOGGER = "kvstore"


def _found(value: object) -> Fields:
    return {"kvstore_outcome": "miss" if value is None else "hit"}


def _hits(values: Sequence[object]) -> Fields:
    return {"kvstore_outcome": "ok", "kvstore_hits": sum(value is not None for value in values)}


def _ok(_: object) -> Fields:
    return {"kvstore_outcome": "ok"}


def _names(keys: object) -> list[Any] | None:
    """The keys a batch names, for the record (as given, whatever their type)."""
    if isinstance(keys, (Mapping, list, tuple)):
        return list(keys)
    return None


class LoggingWrapper(BaseWrapper):
    """Logs one record per operation, with its details as structured ``extra`` fields.

    Each record's message reads like ``kvstore get collection='users' key='42': hit
    (0.031 ms)``; the same facts are attributes of the record, for structured
    formatters and filters:

    - ``kvstore_operation``: ``"get"``, ``"put_many"``, ``"keys"``, ...
    - ``kvstore_collection``, and ``kvstore_key`` (single-key operations) or
      ``kvstore_keys`` (batches: the list of keys) when the operation has them
    - ``kvstore_outcome``: ``"hit"``/``"miss"`` (get, exists, ttl), ``"removed"``/
      ``"absent"`` (delete), ``"ok"``, or ``"error"``/``"cancelled"``
    - ``kvstore_duration_ms``: wall-clock time of the call, in milliseconds
    - ``kvstore_ttl`` (writes), ``kvstore_hits`` (get_many), ``kvstore_count`` (how many
      entries delete_many, clear_collection, keys and iter_keys touched)
    - ``kvstore_error``: on failure, the exception's type and message, and the record's
      level is at least WARNING

    Values are redacted by default: no record holds a value or part of one (the
    message of a SerializationError, which can quote the value, is left out too).
    With ``log_values=True`` records also carry ``kvstore_value`` (single operations)
    or ``kvstore_values`` (batches). The wrapper logs no store repr or option, so
    credentials a wrapped store holds never reach a record. When the logger is not
    enabled for ``level`` the wrapper costs one check per call.

    Args:
        store: the store to wrap.
        logger: where records go; by default the ``"kvstore"`` logger.
        level: the level of the records of successful calls.
        log_values: also log the values written and read (they may be sensitive).
    """

    def __init__(
        self,
        store: BaseKVStore,
        logger: logging.Logger | None = None,
        level: int = logging.DEBUG,
        log_values: bool = False,
    ) -> None:
        super().__init__(store)
        self.logger = logger if logger is not None else logging.getLogger(DEFAULT_LOGGER)
        self.level = level
        self.log_values = log_values

    def _emit(self, level: int, fields: Fields, started: float) -> None:
        fields["kvstore_duration_ms"] = duration = (time.perf_counter() - started) * 1000
        target = ""
        if fields.get("kvstore_collection") is not None:
            target = f" collection={fields['kvstore_collection']!r}"
        if "kvstore_key" in fields:
            target += f" key={fields['kvstore_key']!r}"
        elif fields.get("kvstore_keys") is not None:
            target += f" keys={len(fields['kvstore_keys'])}"
        self.logger.log(
            level,
            "kvstore %s%s: %s (%.3f ms)",
            fields["kvstore_operation"],
            target,
            fields["kvstore_outcome"],
            duration,
            extra=fields,
        )

    def _failed(self, fields: Fields, exc: BaseException, started: float) -> None:
        if isinstance(exc, asyncio.CancelledError):
            fields["kvstore_outcome"] = "cancelled"
            self._emit(self.level, fields, started)
            return
        fields["kvstore_outcome"] = "error"
        redact = isinstance(exc, SerializationError) and not self.log_values
        fields["kvstore_error"] = type(exc).__name__ + ("" if redact else f": {exc}")
        self._emit(max(self.level, logging.WARNING), fields, started)

    async def _logged(
        self,
        call: Callable[[], Awaitable[T]],
        fields: Fields,
        outcome: Callable[[T], Fields],
        value: Callable[[T], object] | None = None,
    ) -> T:
        if not self.logger.isEnabledFor(self.level):
            return await call()
        started = time.perf_counter()
        try:
            result = await call()
        except BaseException as exc:
            self._failed(fields, exc, started)
            raise
        fields.update(outcome(result))
        if value is not None and self.log_values:
            fields["kvstore_values" if "kvstore_keys" in fields else "kvstore_value"] = value(
                result
            )
        self._emit(self.level, fields, started)
        return result

    @staticmethod
    def _fields(operation: str, collection: object = None, key: object = None) -> Fields:
        fields: Fields = {"kvstore_operation": operation, "kvstore_collection": collection}
        if key is not None:
            fields["kvstore_key"] = key
        return fields

    def _batch(self, operation: str, collection: object, keys: object) -> Fields:
        fields = self._fields(operation, collection)
        fields["kvstore_keys"] = _names(keys)
        return fields

    async def get(self, collection: str, key: str) -> Value | None:
        return await self._logged(
            lambda: self.store.get(collection, key),
            self._fields("get", collection, key),
            _found,
            lambda result: result,
        )

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        fields = self._fields("put", collection, key)
        fields["kvstore_ttl"] = ttl
        await self._logged(
            lambda: self.store.put(collection, key, value, ttl=ttl),
            fields,
            _ok,
            lambda _: value,
        )

    async def delete(self, collection: str, key: str) -> bool:
        return await self._logged(
            lambda: self.store.delete(collection, key),
            self._fields("delete", collection, key),
            lambda removed: {"kvstore_outcome": "removed" if removed else "absent"},
        )

    async def exists(self, collection: str, key: str) -> bool:
        return await self._logged(
            lambda: self.store.exists(collection, key),
            self._fields("exists", collection, key),
            lambda found: {"kvstore_outcome": "hit" if found else "miss"},
        )

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        return await self._logged(
            lambda: self.store.ttl(collection, key), self._fields("ttl", collection, key), _found
        )

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        return await self._logged(
            lambda: self.store.get_many(collection, keys),
            self._batch("get_many", collection, keys),
            _hits,
            lambda result: result,
        )

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        fields = self._batch("put_many", collection, items)
        fields["kvstore_ttl"] = ttl
        await self._logged(
            lambda: self.store.put_many(collection, items, ttl=ttl),
            fields,
            _ok,
            lambda _: dict(items),
        )

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        return await self._logged(
            lambda: self.store.delete_many(collection, keys),
            self._batch("delete_many", collection, keys),
            lambda count: {"kvstore_outcome": "ok", "kvstore_count": count},
        )

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        return await self._logged(
            lambda: self.store.get_with_ttl(collection, key),
            self._fields("get_with_ttl", collection, key),
            lambda result: _found(result[0]),
            lambda result: result[0],
        )

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        return await self._logged(
            lambda: self.store.get_many_with_ttl(collection, keys),
            self._batch("get_many_with_ttl", collection, keys),
            lambda results: _hits([value for value, _ in results]),
            lambda results: [value for value, _ in results],
        )

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        return await self._logged(
            lambda: self.store.keys(collection, limit=limit),
            self._fields("keys", collection),
            lambda found: {"kvstore_outcome": "ok", "kvstore_count": len(found)},
        )

    async def iter_keys(self, collection: str) -> AsyncIterator[str]:
        keys = self.store.iter_keys(collection)
        if not self.logger.isEnabledFor(self.level):
            try:
                async for key in keys:
                    yield key
            finally:
                await close_iterator(keys)
            return
        fields = self._fields("iter_keys", collection)
        started, count = time.perf_counter(), 0
        try:
            async for key in keys:
                count += 1
                yield key
        except GeneratorExit:
            # The caller stopped early: a normal end, with the keys it took.
            fields.update(kvstore_outcome="ok", kvstore_count=count)
            self._emit(self.level, fields, started)
            raise
        except BaseException as exc:
            fields["kvstore_count"] = count
            self._failed(fields, exc, started)
            raise
        finally:
            await close_iterator(keys)
        fields.update(kvstore_outcome="ok", kvstore_count=count)
        self._emit(self.level, fields, started)

    async def list_collections(self) -> list[str]:
        return await self._logged(
            self.store.list_collections,
            self._fields("list_collections"),
            lambda found: {"kvstore_outcome": "ok", "kvstore_count": len(found)},
        )

    async def clear_collection(self, collection: str) -> int:
        return await self._logged(
            lambda: self.store.clear_collection(collection),
            self._fields("clear_collection", collection),
            lambda count: {"kvstore_outcome": "ok", "kvstore_count": count},
        )

    async def cull(self) -> None:
        await self._logged(self.store.cull, self._fields("cull"), _ok)

    async def close(self) -> None:
        await self._logged(self.store.close, self._fields("close"), _ok)

    def __repr__(self) -> str:
        return (
            f"LoggingWrapper({self.store!r}, logger={self.logger.name!r}, "
            f"level={logging.getLevelName(self.level)!r}, log_values={self.log_values!r})"
        )
