"""Private copies of values, for stores that hold them in process (native records).

:func:`snapshot` checks a value exactly as the envelope does (SPEC section 3) and returns an
immutable copy of it; :func:`thaw` builds a fresh value from that copy on every call, equal to
``json.loads(json.dumps(value))``. Two codecs give the same results:

- with orjson installed (``kvstore-memory`` requires it), a snapshot is orjson's JSON bytes,
  kept when orjson wrote the value without error and every member of the value is of an exact
  JSON type (a finite float among them). orjson itself refuses non-str keys, ints beyond 64
  bits, lone surrogates, subclasses, cycles and deep nesting; the walk catches what orjson
  would write differently from JSON (NaN and infinities as null, UUIDs and enums as their
  values). Anything caught takes the checked path, which refuses or normalizes it as JSON
  does; the rare result orjson cannot hold (lone surrogates, huge ints, deep nesting) is kept
  as the standard library's JSON text;
- without it, a snapshot is ``marshal`` data of a value the envelope's exact-type walk accepted
  (anything else is normalized through JSON first).
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable
from typing import Any

from . import _envelope
from .errors import SerializationError

Snapshot = bytes | str
"""What :func:`snapshot` returns: opaque, immutable, handed back to :func:`thaw` as it is."""

_json_loads = json.JSONDecoder().decode
_INF = float("inf")
_NEG_INF = -_INF


def marshal_snapshot(collection: str, key: str, value: object) -> bytes:
    """The standard-library codec's :func:`snapshot`."""
    plain: Any = value
    if not _envelope.is_plain(value):
        plain = _json_loads(_envelope.encode_value(collection, key, value))
    try:
        # marshal version 2 has no back-references: a list or dict that appears twice in the
        # value is written (and so read back) twice, as separate objects, as JSON does.
        return marshal.dumps(plain, 2)
    except ValueError as exc:
        raise SerializationError(
            f"value for collection {collection!r} key {key!r} is nested too deeply: {exc}"
        ) from exc


marshal_thaw: Callable[[bytes], Any] = marshal.loads
"""The standard-library codec's :func:`thaw`."""

try:
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    orjson = None  # type: ignore[assignment]

if orjson is not None:
    _dumps = orjson.dumps
    _loads = orjson.loads
    _OPTIONS = (
        orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )
    """Subclasses, datetimes and dataclasses go to ``default`` (none: an error), so they take
    the checked path rather than orjson's own conversions."""

    def _json_typed(node: Any) -> bool:
        """True if every member below a dict, list or tuple that orjson wrote is of an exact
        JSON type and every float is finite, so orjson wrote it exactly as JSON would.

        Keys, int ranges, strings, cycles and depth need no check here: orjson refused them.
        That is why this is not ``_envelope.is_plain``, which checks those too (it runs where
        nothing refused them before) and so costs about 40% more per value.
        """
        for member in node.values() if type(node) is dict else node:
            kind = type(member)
            if kind is str or kind is int or kind is bool or member is None:
                continue
            if kind is float:
                if _NEG_INF < member < _INF:
                    continue
                return False
            if (kind is dict or kind is list or kind is tuple) and _json_typed(member):
                continue
            return False
        return True

    def orjson_snapshot(collection: str, key: str, value: object) -> Snapshot:
        """The orjson codec's :func:`snapshot`."""
        if type(value) is dict:
            try:
                blob = _dumps(value, None, _OPTIONS)
                typed = _json_typed(value)
            # orjson.JSONEncodeError is a TypeError; the walk may meet the recursion limit
            # when called deep in a stack (orjson allows 255 levels).
            except (TypeError, RecursionError):
                pass
            else:
                if typed:
                    # A copy, on purpose: orjson's own bytes object is a shrunk 1 KiB system
                    # allocation, which made every put of a held entry about 2 us slower to
                    # store and later free than a small object from Python's own allocator.
                    return b"%b" % blob
        # The checked path: refuses what JSON refuses, normalizes the rest as JSON does.
        text = _envelope.encode_value(collection, key, value)
        try:
            return b"%b" % _dumps(_json_loads(text))
        except TypeError:
            return text

    def orjson_thaw(snapshot: Snapshot) -> Any:
        """The orjson codec's :func:`thaw`."""
        if type(snapshot) is str:
            return _json_loads(snapshot)
        return _loads(snapshot)

    snapshot: Callable[[str, str, object], Snapshot] = orjson_snapshot
    thaw: Callable[[Snapshot], Any] = orjson_thaw
else:  # pragma: no cover - exercised where orjson is not installed
    snapshot = marshal_snapshot
    thaw = marshal_thaw

__all__ = ["Snapshot", "marshal_snapshot", "marshal_thaw", "snapshot", "thaw"]
