"""SingleCollectionWrapper: many logical collections inside one real collection."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from urllib.parse import unquote

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import TTL, check_collection, check_items, check_keys, check_name
from ..errors import ConfigurationError
from ._base import BaseWrapper, collect_keys
from ._prefix import DEFAULT_SEPARATOR, _renamed


def _percent_encoded(text: str) -> str:
    """Every character of ``text`` as %XX escapes of its UTF-8 bytes."""
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8", "surrogatepass"))


class SingleCollectionWrapper(BaseWrapper):
    """Sends every request to one collection; the caller's collection becomes a key prefix.

    Key ``k`` of collection ``c`` is stored as ``f"{c}{separator}{k}"`` in ``collection``
    (``allowed_users__123``). To keep distinct (collection, key) pairs distinct whatever
    they contain, ``%`` and occurrences of the separator in ``c`` are percent-escaped,
    as is a tail of ``c`` that could run into the separator; names without them are
    stored as they are. ``keys()`` and ``list_collections()`` return the original names.

    Args:
        store: the store to wrap.
        collection: the one collection every entry is written to.
        prefix_separator: between the caller's collection and key (default ``"__"``);
            must not contain ``%`` or ASCII letters and digits.
    """

    def __init__(
        self, store: BaseKVStore, collection: str, prefix_separator: str | None = None
    ) -> None:
        super().__init__(store)
        check_collection(collection)
        separator = DEFAULT_SEPARATOR if prefix_separator is None else prefix_separator
        if (
            not isinstance(separator, str)
            or not separator
            or any(char == "%" or (char.isascii() and char.isalnum()) for char in separator)
        ):
            raise ConfigurationError(
                "prefix_separator must be a non-empty str without '%' or ASCII letters and "
                f"digits, got {separator!r}"
            )
        self.collection = collection
        self.separator = separator
        self._escaped_separator = _percent_encoded(separator)

    def _escape(self, collection: str) -> str:
        separator = self.separator
        escaped = collection.replace("%", "%25").replace(separator, self._escaped_separator)
        for length in range(len(separator) - 1, 0, -1):
            if escaped.endswith(separator[:length]):
                return escaped[:-length] + _percent_encoded(separator[:length])
        return escaped

    def _head(self, collection: str) -> str:
        check_collection(collection)
        return self._escape(collection) + self.separator

    def _inner(self, collection: str, key: str) -> str:
        check_name(collection, key)
        return self._escape(collection) + self.separator + key

    def _inner_keys(self, collection: str, keys: Sequence[str]) -> list[str]:
        head = self._head(collection)
        return [head + key for key in check_keys(collection, keys)]

    async def get(self, collection: str, key: str) -> Value | None:
        return await self.store.get(self.collection, self._inner(collection, key))

    async def put(self, collection: str, key: str, value: Value, *, ttl: TTL = None) -> None:
        await self.store.put(self.collection, self._inner(collection, key), value, ttl=ttl)

    async def delete(self, collection: str, key: str) -> bool:
        return await self.store.delete(self.collection, self._inner(collection, key))

    async def exists(self, collection: str, key: str) -> bool:
        return await self.store.exists(self.collection, self._inner(collection, key))

    async def ttl(self, collection: str, key: str) -> TTLInfo | None:
        info = await self.store.ttl(self.collection, self._inner(collection, key))
        return _renamed(info, collection, key)

    async def get_with_ttl(self, collection: str, key: str) -> tuple[Value | None, TTLInfo | None]:
        inner = self._inner(collection, key)
        value, info = await self.store.get_with_ttl(self.collection, inner)
        return value, _renamed(info, collection, key)

    async def get_many(self, collection: str, keys: Sequence[str]) -> list[Value | None]:
        return await self.store.get_many(self.collection, self._inner_keys(collection, keys))

    async def get_many_with_ttl(
        self, collection: str, keys: Sequence[str]
    ) -> list[tuple[Value | None, TTLInfo | None]]:
        inner = self._inner_keys(collection, keys)
        results = await self.store.get_many_with_ttl(self.collection, inner)
        return [
            (value, _renamed(info, collection, key)) for key, (value, info) in zip(keys, results)
        ]

    async def put_many(
        self, collection: str, items: Mapping[str, Value], *, ttl: TTL = None
    ) -> None:
        pairs = check_items(collection, items)
        head = self._head(collection)
        await self.store.put_many(self.collection, {head + k: v for k, v in pairs}, ttl=ttl)

    async def delete_many(self, collection: str, keys: Sequence[str]) -> int:
        return await self.store.delete_many(self.collection, self._inner_keys(collection, keys))

    async def iter_keys(self, collection: str) -> AsyncGenerator[str, None]:
        head = self._head(collection)
        async for key in self.store.iter_keys(self.collection):
            if key.startswith(head):
                yield key[len(head) :]

    async def keys(self, collection: str, *, limit: int | None = None) -> list[str]:
        return await collect_keys(self.iter_keys(collection), limit)

    async def list_collections(self) -> list[str]:
        separator = self.separator
        found = {
            unquote(key.partition(separator)[0])
            async for key in self.store.iter_keys(self.collection)
            if separator in key
        }
        return sorted(found)

    async def clear_collection(self, collection: str) -> int:
        head = self._head(collection)
        mine = [head + key async for key in self.iter_keys(collection)]
        return await self.store.delete_many(self.collection, mine) if mine else 0

    def __repr__(self) -> str:
        return f"SingleCollectionWrapper({self.store!r}, collection={self.collection!r})"
