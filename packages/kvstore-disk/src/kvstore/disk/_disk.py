"""A diskcache Disk that never pickles nor unpickles."""

from __future__ import annotations

import sqlite3
from typing import Any

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW, MODE_TEXT, UNKNOWN

from kvstore.core.errors import DeserializationError, SerializationError

_SAFE_MODES = (MODE_RAW, MODE_BINARY, MODE_TEXT)


class NoPickleDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache's Disk restricted to str and bytes: pickle is refused both ways.

    diskcache pickles any key or value that is not str, bytes, int or float, and
    unpickles rows whose mode says pickle, so a tampered cache file could run code
    on read. A cache built with this Disk raises instead. DiskStore reads rows itself
    and refuses pickled ones whatever Disk a cache has; this Disk also protects code
    that uses ``store.cache`` directly.
    """

    def put(self, key: Any) -> tuple[Any, bool]:
        """Return diskcache's (database key, raw) for a str or bytes key; refuse others."""
        if type(key) is bytes:
            return sqlite3.Binary(key), True
        if type(key) is str:
            return key, True
        raise SerializationError(
            f"NoPickleDisk stores only str or bytes keys, got {type(key).__name__}"
        )

    def get(self, key: Any, raw: bool) -> Any:
        """Return the key of a row; refuse a pickled one."""
        if not raw:
            raise DeserializationError("refusing to unpickle a diskcache key (pickled row)")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> tuple[Any, ...]:
        """Return diskcache's row fields for a str or bytes value; refuse to pickle others."""
        if type(value) is str and len(value) < self.min_file_size:
            return 0, MODE_RAW, None, value
        if not read and type(value) is not str and type(value) is not bytes:
            raise SerializationError(
                f"NoPickleDisk stores only str or bytes values, got {type(value).__name__}"
            )
        return super().store(value, read, key)  # type: ignore[no-any-return]

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        """Return a row's value; refuse one stored in pickle mode."""
        if mode not in _SAFE_MODES:
            raise DeserializationError(
                f"refusing to read a diskcache value stored in mode {mode} (pickle or unknown)"
            )
        return super().fetch(mode, filename, value, read)
