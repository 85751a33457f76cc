"""PrefixCollectionWrapper and PrefixKeyWrapper: a namespace inside a shared store."""

from __future__ import annotations

from .._base import BaseKVStore
from ..errors import ConfigurationError
from ._escape import DEFAULT_SEPARATOR, check_separator, escape
from ._renaming import RenamingWrapper


def _head(prefix: object, separator: str | None) -> tuple[str, str, str]:
    """Return (prefix, separator, what every name of this namespace starts with)."""
    if not isinstance(prefix, str) or not prefix:
        raise ConfigurationError(f"prefix must be a non-empty str, got {prefix!r}")
    separator = check_separator(DEFAULT_SEPARATOR if separator is None else separator, "separator")
    return prefix, separator, escape(prefix, separator) + separator


class PrefixCollectionWrapper(RenamingWrapper):
    """Stores collection ``c`` as ``f"{prefix}{separator}{c}"`` and shows only its own collections.

    Distinct prefixes (with the same separator) never share storage: ``%`` and the
    separator inside the prefix, and a tail of the prefix that could run into the
    separator, are percent-escaped (``"a_"`` with ``"__"`` is stored as ``a%5F__``),
    so no namespace's names start with another's. Prefixes without them are stored
    as they are.

    Args:
        store: the store to wrap.
        prefix: the namespace, e.g. the application's name.
        separator: placed between prefix and collection (default ``"__"``); must not
            contain ``%`` or ASCII letters and digits.

    Raises:
        ConfigurationError: an empty prefix, or a separator that is not allowed.
    """

    def __init__(self, store: BaseKVStore, prefix: str, separator: str | None = None) -> None:
        super().__init__(store)
        self.prefix, self.separator, self._head = _head(prefix, separator)

    def inner_collection(self, collection: str) -> str:
        return self._head + collection

    def outer_collection(self, name: str) -> str | None:
        return name[len(self._head) :] if name.startswith(self._head) else None

    def __repr__(self) -> str:
        return f"PrefixCollectionWrapper({self.store!r}, prefix={self.prefix!r})"


class PrefixKeyWrapper(RenamingWrapper):
    """Stores key ``k`` as ``f"{prefix}{separator}{k}"`` and shows only its own keys.

    The prefix is escaped as :class:`PrefixCollectionWrapper`'s is, so distinct prefixes
    never share a key. ``list_collections`` is forwarded unchanged (it may name
    collections holding only other prefixes' keys); ``clear_collection`` removes only
    this prefix's keys.

    Args:
        store: the store to wrap.
        prefix: the namespace.
        separator: placed between prefix and key (default ``"__"``); must not contain
            ``%`` or ASCII letters and digits.

    Raises:
        ConfigurationError: an empty prefix, or a separator that is not allowed.
    """

    def __init__(self, store: BaseKVStore, prefix: str, separator: str | None = None) -> None:
        super().__init__(store)
        self.prefix, self.separator, self._head = _head(prefix, separator)

    def key_head(self, collection: str) -> str:
        return self._head

    def __repr__(self) -> str:
        return f"PrefixKeyWrapper({self.store!r}, prefix={self.prefix!r})"
