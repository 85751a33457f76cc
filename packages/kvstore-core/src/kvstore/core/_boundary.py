"""DriverBoundary: where a backend calls its driver, every failure leaves as a kvstore error."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from types import TracebackType

from ._redaction import redact
from .errors import KVStoreError, StoreConnectionError

Keys = str | Sequence[str] | None
"""The key(s) an operation touches: one key, a batch's keys, or None (a whole collection)."""
Classifier = Callable[[Exception, str], tuple[type[KVStoreError], str]]
"""Given a driver exception and its default description, the error class and description."""

_SHOWN_KEYS = 3


def describe_target(collection: str | None, keys: Keys) -> str:
    """Name what an operation touched, in the one format every store's messages use."""
    if collection is None:
        return "all collections"
    if keys is None:
        return f"collection {collection!r}"
    if isinstance(keys, str):
        return f"collection {collection!r} key {keys!r}"
    shown = ", ".join(repr(key) for key in keys[:_SHOWN_KEYS])
    more = f" and {len(keys) - _SHOWN_KEYS} more" if len(keys) > _SHOWN_KEYS else ""
    return f"collection {collection!r} keys [{shown}]{more}"


def _connection_error(exc: Exception, detail: str) -> tuple[type[KVStoreError], str]:
    return StoreConnectionError, detail


class DriverBoundary:
    """Maps a backend's driver exceptions to kvstore errors, with every secret it knows redacted.

    A backend makes one per store and wraps each driver call in it::

        self._boundary = DriverBoundary("Redis", secrets=[password])
        ...
        with self._boundary("get", collection, key):
            payload = await self._client.get(name)

    Any ``Exception`` raised inside the block, whatever its type, leaves it as a kvstore
    error (``StoreConnectionError`` unless ``classify`` says otherwise) raised ``from`` the
    original, with a message naming the store, the operation, the collection and the key(s):
    ``"<name> <operation> failed for collection 'c' key 'k': <detail>"``. kvstore's own
    errors and exceptions that are not ``Exception`` (``asyncio.CancelledError``,
    ``KeyboardInterrupt``) pass through unchanged.

    Args:
        name: how messages name the store (never a secret), e.g. ``"Redis"``.
        secrets: passwords and API keys the store holds; masked wherever they appear.
        classify: given the exception and its default description (``"Type: message"``),
            return the kvstore error class and the description to use; it may also note
            the failure (for example forget that an index exists).
    """

    __slots__ = ("_classify", "_secrets", "name")

    def __init__(
        self, name: str, *, secrets: Iterable[str] = (), classify: Classifier | None = None
    ) -> None:
        self.name = name
        self._secrets = [secret for secret in secrets if secret]
        self._classify = classify or _connection_error

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Mask these too (for secrets learnt after construction, e.g. from a client)."""
        self._secrets.extend(secret for secret in secrets if secret)

    def redact(self, text: str) -> str:
        """Return ``text`` with URL credentials and every secret of this store masked."""
        return redact(text, self._secrets)

    def __call__(
        self, operation: str, collection: str | None = None, keys: Keys = None
    ) -> _DriverCall:
        """A context manager mapping what the driver raises during ``operation``.

        Args:
            operation: the public operation, e.g. ``"get"`` or ``"put_many"``.
            collection: the collection it touches (None: every collection).
            keys: one key, a batch's keys, or None (the whole collection).
        """
        return _DriverCall(self, operation, collection, keys)

    def error(
        self,
        operation: str,
        collection: str | None,
        keys: Keys,
        detail: str,
        kind: type[KVStoreError] = StoreConnectionError,
    ) -> KVStoreError:
        """Return the error (not raised) for a failure the store detected itself.

        Args:
            detail: what went wrong; redacted here.
            kind: the kvstore error class.
        """
        return kind(
            f"{self.name} {operation} failed for {describe_target(collection, keys)}: "
            f"{self.redact(detail)}"
        )

    def translate(
        self, exc: Exception, operation: str, collection: str | None, keys: Keys
    ) -> KVStoreError:
        """Return the kvstore error for a driver exception, for the caller to raise ``from exc``.

        The ``with`` block calls it; a hot path where the block's cost shows (an in-process
        read of a few microseconds) may call it itself, at no cost until something fails::

            try:
                rows = query(...)
            except Exception as exc:
                raise self._boundary.translate(exc, "get", collection, key) from exc

        Raises:
            KVStoreError: ``exc`` itself, unchanged, if it already is a kvstore error.
        """
        if isinstance(exc, KVStoreError):
            raise exc
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        kind, detail = self._classify(exc, detail)
        return self.error(operation, collection, keys, detail, kind)


class _DriverCall:
    """One ``with boundary(...)`` block: remembers what to name if the driver fails."""

    __slots__ = ("_boundary", "_collection", "_keys", "_operation")

    def __init__(
        self, boundary: DriverBoundary, operation: str, collection: str | None, keys: Keys
    ) -> None:
        self._boundary = boundary
        self._operation = operation
        self._collection = collection
        self._keys = keys

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, KVStoreError) or not isinstance(exc, Exception):
            return
        raise self._boundary.translate(exc, self._operation, self._collection, self._keys) from exc


__all__ = ["Classifier", "DriverBoundary", "Keys", "describe_target"]
