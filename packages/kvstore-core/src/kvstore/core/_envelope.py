"""The TTL envelope: the one JSON document a store persists for an entry.

Format version 1 (see ``docs/envelope.md``)::

    {"kvstore": 1, "collection": "users", "key": "42", "created_at": 1764240000.123,
     "ttl": 60.0, "expires_at": 1764240060.123, "value": {...}}

Times are Unix epoch seconds (UTC) as JSON numbers with sub-millisecond precision;
``ttl`` and ``expires_at`` are null for entries that never expire. Readers reject
documents whose ``kvstore`` version they do not know.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable
from datetime import datetime, timezone
from json.encoder import encode_basestring_ascii
from typing import Any

from ._ttl_info import TTLInfo, utc_from_timestamp
from .errors import DeserializationError, SerializationError

FORMAT_VERSION = 1

_INF = float("inf")
_NEG_INF = -_INF
_PLAIN_INT = 1 << 1990
"""Ints strictly inside +-this have under 640 digits (the lowest int-to-str limit Python
allows), so JSON always writes them; larger ones take the checked path."""
_HEAD = f'{{"kvstore":{FORMAT_VERSION},"collection":'
"""The envelope text up to the collection name."""
_CONTAINERS = (dict, list, tuple)


def _make_encoder() -> Callable[[object], str]:
    """Return a function writing a JSON value as compact ASCII text (NaN and inf refused)."""
    fallback = json.JSONEncoder(allow_nan=False, separators=(",", ":"), check_circular=False)
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)  # not in the stubs
    if c_make_encoder is None:  # pragma: no cover - CPython builds have the C accelerator
        return fallback.encode
    # One C encoder made once: JSONEncoder.encode builds a new one (and a cycle-marker dict)
    # on every call, which costs as much as encoding a small value. Without markers a cyclic
    # value recurses until RecursionError, which callers turn into SerializationError.
    iterencode = c_make_encoder(
        None, fallback.default, encode_basestring_ascii, None, ":", ",", False, False, False
    )

    def encode(value: object) -> str:
        return "".join(iterencode(value, 0))

    return encode


_encode = _make_encoder()
_decode = json.JSONDecoder().decode
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _is_plain(node: Any) -> bool:
    """The walk behind :func:`is_plain`, for a dict or a list."""
    if type(node) is dict:
        for name, member in node.items():
            if type(name) is not str:
                return False
            kind = type(member)
            if kind is str or kind is bool or member is None:
                continue
            if kind is int:
                if -_PLAIN_INT < member < _PLAIN_INT:
                    continue
                return False
            if kind is float:
                if _NEG_INF < member < _INF:
                    continue
                return False
            if (kind is dict or kind is list) and _is_plain(member):
                continue
            return False
        return True
    for member in node:
        kind = type(member)
        if kind is str or kind is bool or member is None:
            continue
        if kind is int:
            if -_PLAIN_INT < member < _PLAIN_INT:
                continue
            return False
        if kind is float:
            if _NEG_INF < member < _INF:
                continue
            return False
        if (kind is dict or kind is list) and _is_plain(member):
            continue
        return False
    return True


def is_plain(value: object) -> bool:
    """True if ``value`` is a dict that JSON writes without error and reads back equal.

    That is: only exact ``dict`` (with exact ``str`` keys), ``list``, ``str``, ``int`` (not
    huge), ``bool``, ``None`` and finite ``float``. Anything else (tuples, subclasses, NaN,
    non-str keys, cycles, values nested too deeply) is False and takes the checked path,
    which refuses or normalizes it exactly as JSON does.
    """
    try:
        return type(value) is dict and _is_plain(value)
    except RecursionError:
        return False


def check_value(collection: str, key: str, value: object) -> None:
    """Raise SerializationError unless ``value`` is a dict whose nested dicts have str keys."""
    if not isinstance(value, dict):
        raise SerializationError(
            f"value for collection {collection!r} key {key!r} must be a dict, "
            f"got {type(value).__name__}"
        )
    stack: list[Any] = [value]
    # Containers already queued: a cyclic value is walked once (JSON then refuses it) rather
    # than forever, and a container shared by several members is checked once.
    seen = {id(value)}
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for name, member in node.items():
                if type(name) is not str and not isinstance(name, str):
                    raise SerializationError(
                        f"value for collection {collection!r} key {key!r} has a non-str "
                        f"dict key {name!r}"
                    )
                if isinstance(member, _CONTAINERS) and id(member) not in seen:
                    seen.add(id(member))
                    stack.append(member)
        else:
            for member in node:
                if isinstance(member, _CONTAINERS) and id(member) not in seen:
                    seen.add(id(member))
                    stack.append(member)


def encode_value(collection: str, key: str, value: object) -> str:
    """Return ``value`` as compact JSON text (the envelope's ``value`` field).

    Raises:
        SerializationError: the value is not a JSON object of JSON-encodable members.
    """
    if not is_plain(value):
        check_value(collection, key, value)
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise SerializationError(
            f"value for collection {collection!r} key {key!r} cannot be encoded as JSON: {exc}"
        ) from exc


def encode(collection: str, key: str, value: object, ttl: float | None, now: float) -> str:
    """Return the envelope text for one entry written at ``now`` (epoch seconds).

    Raises:
        SerializationError: the value is not a JSON object of JSON-encodable members.
    """
    text = encode_value(collection, key, value)
    # The envelope is written around the value's text rather than by encoding a second dict
    # holding it: the same bytes (fields in format order, floats as repr, names escaped to
    # ASCII), at half the cost. Anything unusual takes the general path below.
    if type(now) is float and _NEG_INF < now < _INF:
        if ttl is None:
            return (
                f"{_HEAD}{encode_basestring_ascii(collection)},"
                f'"key":{encode_basestring_ascii(key)},"created_at":{now!r},'
                f'"ttl":null,"expires_at":null,"value":{text}}}'
            )
        expires_at = now + ttl
        if type(ttl) is float and _NEG_INF < ttl < _INF and _NEG_INF < expires_at < _INF:
            return (
                f"{_HEAD}{encode_basestring_ascii(collection)},"
                f'"key":{encode_basestring_ascii(key)},"created_at":{now!r},'
                f'"ttl":{ttl!r},"expires_at":{expires_at!r},"value":{text}}}'
            )
    document = {
        "kvstore": FORMAT_VERSION,
        "collection": collection,
        "key": key,
        "created_at": now,
        "ttl": ttl,
        "expires_at": None if ttl is None else now + ttl,
        "value": value,
    }
    try:
        return _encode(document)
    except (TypeError, ValueError, RecursionError) as exc:
        raise SerializationError(
            f"value for collection {collection!r} key {key!r} cannot be encoded as JSON: {exc}"
        ) from exc


def _same_name(stored: object, asked: str) -> bool:
    """True if ``stored`` is ``asked`` as JSON gives it back.

    JSON joins an escaped surrogate pair written as two code points (``"\\ud83d\\ude00"``)
    into one character, so such a name reads back changed though it is the same entry.
    """
    return stored == asked or stored == json.loads(json.dumps(asked))


def decode(payload: str | bytes | dict[str, Any], collection: str, key: str) -> dict[str, Any]:
    """Return the envelope document stored for (collection, key).

    ``payload`` is the envelope text, or the envelope already parsed by a backend's driver
    (a fresh dict no one else holds), which is checked without being parsed again.

    Raises:
        DeserializationError: the payload is not a version-1 envelope for this entry.
    """
    try:
        if type(payload) is dict:
            document: Any = payload
        else:
            text: str = payload if type(payload) is str else payload.decode()  # type: ignore[union-attr]
            # The scanner alone, skipping decode()'s two whitespace regex matches; text it
            # does not consume whole (surrounding whitespace, garbage) goes through decode().
            try:
                document, end = _scan(text, 0)
            except StopIteration:
                end = -1
            if end != len(text):
                document = _decode(text)
    except (ValueError, UnicodeDecodeError, RecursionError, AttributeError) as exc:
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} is not a kvstore envelope "
            f"(invalid JSON: {exc})"
        ) from exc
    if (
        type(document) is not dict
        or document.get("kvstore") != FORMAT_VERSION
        or type(document.get("value")) is not dict
        or "expires_at" not in document
    ):
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} is not a version "
            f"{FORMAT_VERSION} kvstore envelope"
        )
    if (document.get("collection") != collection or document.get("key") != key) and not (
        _same_name(document.get("collection"), collection) and _same_name(document.get("key"), key)
    ):
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} belongs to another entry "
            f"(collection {document.get('collection')!r} key {document.get('key')!r})"
        )
    expires_at = document["expires_at"]
    if expires_at is not None and type(expires_at) is not float and type(expires_at) is not int:
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} has an invalid expires_at"
        )
    return document


def is_live(document: dict[str, Any], now: float) -> bool:
    """True unless the envelope's ``expires_at`` is at or before ``now``."""
    expires_at = document["expires_at"]
    return expires_at is None or expires_at > now


def ttl_info(document: dict[str, Any]) -> TTLInfo:
    """Return the TTLInfo described by an envelope document."""
    return info(
        document["collection"],
        document["key"],
        document.get("created_at"),
        document.get("ttl"),
        document["expires_at"],
    )


_LATEST = datetime.max.replace(tzinfo=timezone.utc)
"""The expiry an entry reports when its real one is later than a datetime can hold."""
_LATEST_SECONDS = _LATEST.timestamp()


def _is_past_datetimes(expires_at: object) -> bool:
    """True for a finite epoch timestamp later than any datetime (after year 9999)."""
    return (
        isinstance(expires_at, (int, float))
        and not isinstance(expires_at, bool)
        and _LATEST_SECONDS < expires_at < _INF
    )


def info(
    collection: str,
    key: str,
    created_at: float | None,
    ttl: float | None,
    expires_at: float | None,
) -> TTLInfo:
    """Return the TTLInfo of an entry from its epoch-second timestamps.

    An expiry later than a datetime can hold (a TTL of more than about 7,900 years) reads as
    the latest one, ``datetime.max`` in UTC; ``ttl`` keeps the TTL as given.

    Raises:
        DeserializationError: a timestamp is not one a datetime can hold (an expiry too late
            to hold is not an error).
    """
    try:
        return TTLInfo(
            collection=collection,
            key=key,
            created_at=utc_from_timestamp(created_at),
            ttl=ttl,
            expires_at=_LATEST
            if _is_past_datetimes(expires_at)
            else utc_from_timestamp(expires_at),
        )
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} has invalid timestamps"
        ) from exc


def rewrite(
    collection: str,
    key: str,
    value: dict[str, Any],
    created_at: float | None,
    ttl: float | None,
    expires_at: float | None,
) -> str:
    """Return the envelope text of an entry with the given fields.

    For operations that change an entry in place: ``touch`` gives it new times, ``increment``
    a new count with the old times. ``value`` comes from a decoded envelope (plain JSON).
    """
    document = {
        "kvstore": FORMAT_VERSION,
        "collection": collection,
        "key": key,
        "created_at": created_at,
        "ttl": ttl,
        "expires_at": expires_at,
        "value": value,
    }
    try:
        return _encode(document)
    except (TypeError, ValueError, RecursionError) as exc:  # pragma: no cover - decoded JSON
        raise SerializationError(
            f"value for collection {collection!r} key {key!r} cannot be encoded as JSON: {exc}"
        ) from exc


def retime(
    document: dict[str, Any], collection: str, key: str, ttl: float | None, now: float
) -> str:
    """Return the envelope of ``document`` with a new TTL from ``now`` (what ``touch`` writes).

    The value and ``created_at`` stay; ``ttl`` becomes the new TTL and ``expires_at`` is
    ``now + ttl`` (None: never expires).
    """
    return rewrite(
        collection,
        key,
        document["value"],
        document.get("created_at"),
        ttl,
        None if ttl is None else now + ttl,
    )


def version_of(payload: str | bytes) -> str:
    """The version token of a stored envelope: the SHA-1 of its UTF-8 bytes, in hex.

    Every write stores a new ``created_at`` (microseconds), so the token changes on every
    write. Redis scripts compute the same token with ``redis.sha1hex``.
    """
    data = payload.encode("utf-8", "surrogatepass") if type(payload) is str else payload
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()  # type: ignore[arg-type]
