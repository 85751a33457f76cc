"""What the atomic operations share: their names, ``Versioned``, and the counter rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import InvalidValueError, UnsupportedOperationError

V = TypeVar("V")

ATOMIC_OPERATIONS = frozenset(
    {"add", "take", "touch", "get_versioned", "put_versioned", "increment"}
)
"""The atomic operations of SPEC §11, as a store lists them in ``atomic_operations``."""

COUNT_MIN = -(2**63)
COUNT_MAX = 2**63 - 1
"""The range of a counter: signed 64 bits, as Redis and PostgreSQL count."""


@dataclass(frozen=True, slots=True)
class Versioned(Generic[V]):
    """A live value and its version token, as ``get_versioned`` returns them.

    Attributes:
        value: the value (a fresh dict, or a model through a ``PydanticAdapter``).
        version: an opaque token, compared for equality only, that changes whenever the
            entry's value is written; give it to ``put_versioned`` to write only if nobody
            wrote in between.
    """

    value: V
    version: str


# A Versioned built field by field, for about half the instructions of the frozen dataclass's
# own __init__ (which sets each field through object.__setattr__): the read paths of
# get_versioned use these three.
new_versioned = object.__new__
set_value = Versioned.__dict__["value"].__set__
set_version = Versioned.__dict__["version"].__set__


def unsupported(store: object, operation: str) -> UnsupportedOperationError:
    """The error for an atomic operation a store does not implement."""
    declared = sorted(getattr(store, "atomic_operations", ()))
    return UnsupportedOperationError(
        f"{type(store).__name__} does not implement {operation}() (its atomic operations: "
        f"{', '.join(declared) or 'none'}); kvstore never emulates an atomic operation with "
        f"a separate read and write (docs/writing-a-backend.md says how a backend adds it)"
    )


def check_amount(collection: str, key: str, amount: object) -> int:
    """Return ``amount`` if it is an int (not a bool) inside a counter's range."""
    if type(amount) is not int:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidValueError(
                f"increment amount for collection {collection!r} key {key!r} must be an int, "
                f"got {type(amount).__name__}"
            )
        amount = int(amount)
    return check_count(collection, key, amount)


def check_count(collection: str, key: str, count: int) -> int:
    """Return ``count`` if a counter can hold it (signed 64 bits)."""
    if not COUNT_MIN <= count <= COUNT_MAX:
        raise InvalidValueError(
            f"counter for collection {collection!r} key {key!r} would leave the signed 64-bit "
            f"range ({count}); nothing was written"
        )
    return count


def count_of(collection: str, key: str, value: Any) -> int:
    """Return the count a counter value ``{"count": n}`` holds.

    Raises:
        InvalidValueError: the value is not exactly one int (not bool) under ``"count"``.
    """
    if type(value) is dict and len(value) == 1:
        count = value.get("count")
        if type(count) is int:
            return count
    found = f"keys {sorted(value)[:5]}" if type(value) is dict else type(value).__name__
    raise InvalidValueError(
        f"value for collection {collection!r} key {key!r} is not a counter: increment needs "
        f'{{"count": <int>}}, found a value with {found}'
    )


__all__ = [
    "ATOMIC_OPERATIONS",
    "COUNT_MAX",
    "COUNT_MIN",
    "Versioned",
    "check_amount",
    "check_count",
    "count_of",
    "new_versioned",
    "set_value",
    "set_version",
    "unsupported",
]
