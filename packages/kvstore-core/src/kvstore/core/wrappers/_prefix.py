"""PrefixCollectionWrapper and PrefixKeyWrapper: a namespace inside a shared store."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL, check_collection, check_items, check_keys, check_name
from ..errors import ConfigurationError
from ._base import BaseWrapper, collect_keys

DEFAULT_SEPARATOR = "__"


def _check_prefix(prefix: object, separator: object) -> tuple[str, str]:
    if not isinstance(prefix, str) or not prefix:
        raise ConfigurationError(f"prefix must be a non-empty str, got {prefix!r}")
    if not isinstance(separator, str) or not separator:
        raise ConfigurationError(f"separator must be a non-empty str, got {separator!r}")
    return prefix, separator


def _renamed(info: TTLInfo | None, collection: str, key: str) -> TTLInfo | None:
    """The metadata as the caller sees it: under the names the caller used."""
    if info is None:
        return None
    return TTLInfo(collection, key, info.created_at, info.ttl, info.expires_at)


class PrefixCollectionWrapper(BaseWrapper):
    """Stores collection ``c`` as ``f"{prefix}{separator}{c}"`` and shows only its own collections.

    Args:
        store: the store to wrap.
        prefix: the namespace, e.g. the application's name.
        separator: placed between prefix and collection (default ``"__"``).
    """

    def __init__(self, store: BaseKVStore, prefix: str, separator: str | None = None) -> None:
        super().__init__(store)
        self.prefix, self.separator = _check_prefix(prefix, separator or DEFAULT_SEPARATOR)
        self._head = self.prefix + self.separator

    def _inner(self, collection: str) -> str:
        check_collection(collection)
        return self._head + collection

    async def get(self, collection: str, key: str) -> Value | None:
        return await self.store.get(self._inner(collection), key)

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        await self.store.put(self._inner(collection), key, value, ttl=ttl)

    async def delete(self, collection: str, key: str) -> bool:
        return await self.store.delete(self._inner(collection), key)

    async def exists(self, collection: str, key: str) -> bool:
        return await self.store.exists(self._inner(collection), key)

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        return _renamed(await self.store.ttl(self._inner(collection), key), collection, key)

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        value, info = await self.store.get_with_ttl(self._inner(collection), key)
        return value, _renamed(info, collection, key)

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        return await self.store.get_many(self._inner(collection), keys)

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        results = await self.store.get_many_with_ttl(self._inner(collection), keys)
        return [
            (value, _renamed(info, collection, key)) for key, (value, info) in zip(keys, results)
        ]

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        await self.store.put_many(self._inner(collection), items, ttl=ttl)

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        return await self.store.delete_many(self._inner(collection), keys)

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        return await self.store.keys(self._inner(collection), limit=limit)

    def iter_keys(self, collection: str) -> AsyncIterator[str]:
        return self.store.iter_keys(self._inner(collection))

    async def list_collections(self) -> list[str]:
        head = self._head
        return [
            name[len(head) :]
            for name in await self.store.list_collections()
            if name.startswith(head)
        ]

    async def clear_collection(self, collection: str) -> int:
        return await self.store.clear_collection(self._inner(collection))

    def __repr__(self) -> str:
        return f"PrefixCollectionWrapper({self.store!r}, prefix={self.prefix!r})"


class PrefixKeyWrapper(BaseWrapper):
    """Stores key ``k`` as ``f"{prefix}{separator}{k}"`` and shows only its own keys.

    ``list_collections`` is forwarded unchanged (it may name collections holding only
    other prefixes' keys); ``clear_collection`` removes only this prefix's keys.

    Args:
        store: the store to wrap.
        prefix: the namespace.
        separator: placed between prefix and key (default ``"__"``).
    """

    def __init__(self, store: BaseKVStore, prefix: str, separator: str | None = None) -> None:
        super().__init__(store)
        self.prefix, self.separator = _check_prefix(prefix, separator or DEFAULT_SEPARATOR)
        self._head = self.prefix + self.separator

    def _inner(self, collection: str, key: str) -> str:
        check_name(collection, key)
        return self._head + key

    def _inner_keys(self, collection: str, keys: Sequence[str]) -> list[str]:
        return [self._head + key for key in check_keys(collection, keys)]

    async def get(self, collection: str, key: str) -> Value | None:
        return await self.store.get(collection, self._inner(collection, key))

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        await self.store.put(collection, self._inner(collection, key), value, ttl=ttl)

    async def delete(self, collection: str, key: str) -> bool:
        return await self.store.delete(collection, self._inner(collection, key))

    async def exists(self, collection: str, key: str) -> bool:
        return await self.store.exists(collection, self._inner(collection, key))

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        info = await self.store.ttl(collection, self._inner(collection, key))
        return _renamed(info, collection, key)

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        value, info = await self.store.get_with_ttl(collection, self._inner(collection, key))
        return value, _renamed(info, collection, key)

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        return await self.store.get_many(collection, self._inner_keys(collection, keys))

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        inner = self._inner_keys(collection, keys)
        results = await self.store.get_many_with_ttl(collection, inner)
        return [
            (value, _renamed(info, collection, key)) for key, (value, info) in zip(keys, results)
        ]

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        pairs = check_items(collection, items)
        await self.store.put_many(collection, {self._head + k: v for k, v in pairs}, ttl=ttl)

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        return await self.store.delete_many(collection, self._inner_keys(collection, keys))

    async def iter_keys(self, collection: str) -> AsyncGenerator[str, None]:
        check_collection(collection)
        head = self._head
        async for key in self.store.iter_keys(collection):
            if key.startswith(head):
                yield key[len(head) :]

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        return await collect_keys(self.iter_keys(collection), limit)

    async def clear_collection(self, collection: str) -> int:
        mine = [self._head + key async for key in self.iter_keys(collection)]
        return await self.store.delete_many(collection, mine) if mine else 0

    def __repr__(self) -> str:
        return f"PrefixKeyWrapper({self.store!r}, prefix={self.prefix!r})"
