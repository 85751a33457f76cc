"""Snapshot codecs: how an in-process store copies values (no envelope).

A codec's ``snapshot`` checks a value exactly as the envelope does (SPEC section 3) and returns
an immutable copy of it; its ``thaw`` builds a fresh value from that copy on every call, equal
to ``json.loads(json.dumps(value))``. Two codecs give the same results:

- ``orjson`` (the ``kvstore-core[orjson]`` extra; ``kvstore-memory`` requires it): a snapshot
  is orjson's JSON bytes, kept when orjson wrote the value without error and every member of
  the value is of an exact JSON type (a finite float among them). orjson itself refuses non-str
  keys, ints beyond 64 bits, lone surrogates, subclasses, cycles and deep nesting; the walk
  catches what orjson would write differently from JSON (NaN and infinities as null, UUIDs and
  enums as their values). Anything caught takes the checked path, which refuses or normalizes
  it as JSON does; the rare result orjson cannot hold (lone surrogates, huge ints, deep
  nesting) is kept as the standard library's JSON text;
- ``marshal`` (standard library only): a snapshot is ``marshal`` data of a value the
  envelope's exact-type walk accepted (anything else is normalized through JSON first).

:func:`snapshot_codec` picks one by name; with no name, orjson when the extra is installed,
else marshal.
"""

from __future__ import annotations

import json
import marshal
from typing import Any, ClassVar

from . import _envelope
from .errors import ConfigurationError, SerializationError

try:
    import orjson
except ImportError:  # pragma: no cover - exercised where the orjson extra is not installed
    orjson = None  # type: ignore[assignment]

Snapshot = bytes | str
"""What a codec's ``snapshot`` returns: opaque, immutable, handed back to its ``thaw`` as is."""

INSTALL_HINT = 'pip install "kvstore-core[orjson]"'
_json_loads = json.JSONDecoder().decode
_INF = float("inf")
_NEG_INF = -_INF


class SnapshotCodec:
    """How an in-process store copies values: ``snapshot`` on every write, ``thaw`` on every read.

    Get one with :func:`snapshot_codec`; ``name`` says which one it is.
    """

    __slots__ = ()
    name: ClassVar[str]

    def snapshot(self, collection: str, key: str, value: object) -> Snapshot:
        """Return an immutable copy of ``value``, checked as the envelope checks values.

        Raises:
            SerializationError: the value is not a JSON object of JSON-encodable members.
        """
        raise NotImplementedError

    def thaw(self, snapshot: Snapshot) -> Any:
        """Return a fresh value, equal to ``json.loads(json.dumps(value))``, from a snapshot."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"snapshot_codec({self.name!r})"


class _MarshalCodec(SnapshotCodec):
    """The standard library's codec: ``marshal`` data of a plain copy of the value."""

    __slots__ = ()
    name = "marshal"

    def snapshot(self, collection: str, key: str, value: object) -> Snapshot:
        plain: Any = value
        if not _envelope.is_plain(value):
            plain = _json_loads(_envelope.encode_value(collection, key, value))
        try:
            # marshal version 2 has no back-references: a list or dict that appears twice in
            # the value is written (and so read back) twice, as separate objects, as JSON does.
            return marshal.dumps(plain, 2)
        except ValueError as exc:
            raise SerializationError(
                f"value for collection {collection!r} key {key!r} is nested too deeply: {exc}"
            ) from exc

    def thaw(self, snapshot: Snapshot) -> Any:
        return marshal.loads(snapshot)  # type: ignore[arg-type]


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


class _OrjsonCodec(SnapshotCodec):
    """orjson's codec: the JSON bytes orjson writes, once the value's types are checked."""

    __slots__ = ()
    name = "orjson"

    def snapshot(self, collection: str, key: str, value: object) -> Snapshot:
        if type(value) is dict:
            try:
                blob = _orjson_dumps(value, None, _ORJSON_OPTIONS)
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
            return b"%b" % _orjson_dumps(_json_loads(text))
        except TypeError:
            return text

    def thaw(self, snapshot: Snapshot) -> Any:
        if type(snapshot) is str:
            return _json_loads(snapshot)
        return _orjson_loads(snapshot)


_MARSHAL = _MarshalCodec()
_ORJSON: SnapshotCodec | None = None
if orjson is not None:
    _orjson_dumps = orjson.dumps
    _orjson_loads = orjson.loads
    _ORJSON_OPTIONS = (
        orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )
    """Subclasses, datetimes and dataclasses go to ``default`` (none: an error), so they take
    the checked path rather than orjson's own conversions."""
    _ORJSON = _OrjsonCodec()


def snapshot_codec(name: str | None = None) -> SnapshotCodec:
    """Return the snapshot codec called ``name``: ``"orjson"`` or ``"marshal"``.

    Args:
        name: None for the default: orjson when the ``kvstore-core[orjson]`` extra is
            installed, else marshal (same results, about 30% more instructions per copy).

    Raises:
        ConfigurationError: ``name`` is neither, or is ``"orjson"`` without orjson installed.
    """
    if name is None:
        return _MARSHAL if _ORJSON is None else _ORJSON
    if name == "marshal":
        return _MARSHAL
    if name == "orjson":
        if _ORJSON is None:
            raise ConfigurationError(f"the orjson snapshot codec needs orjson: {INSTALL_HINT}")
        return _ORJSON
    raise ConfigurationError(f"unknown snapshot codec {name!r}: choose 'orjson' or 'marshal'")


__all__ = ["Snapshot", "SnapshotCodec", "snapshot_codec"]
