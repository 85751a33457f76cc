"""The TTL envelope: the one JSON document a store persists for an entry.

Format version 1 (see ``docs/envelope.md``)::

    {"kvstore": 1, "collection": "users", "key": "42", "created_at": 1764240000.123,
     "ttl": 60.0, "expires_at": 1764240060.123, "value": {...}}

Times are Unix epoch seconds (UTC) as JSON numbers with sub-millisecond precision;
``ttl`` and ``expires_at`` are null for entries that never expire. Readers reject
documents whose ``kvstore`` version they do not know.
"""

from __future__ import annotations

import json
from typing import Any

from ._ttl_info import TTLInfo, utc_from_timestamp
from .errors import DeserializationError, SerializationError

FORMAT_VERSION = 1

_encode = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
_decode = json.JSONDecoder().decode
_CONTAINERS = (dict, list, tuple)


def check_value(collection: str, key: str, value: object) -> None:
    """Raise SerializationError unless ``value`` is a dict whose nested dicts have str keys."""
    if not isinstance(value, dict):
        raise SerializationError(
            f"value for collection {collection!r} key {key!r} must be a dict, "
            f"got {type(value).__name__}"
        )
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for name, member in node.items():
                if type(name) is not str and not isinstance(name, str):
                    raise SerializationError(
                        f"value for collection {collection!r} key {key!r} has a non-str "
                        f"dict key {name!r}"
                    )
                if isinstance(member, _CONTAINERS):
                    stack.append(member)
        else:
            for member in node:
                if isinstance(member, _CONTAINERS):
                    stack.append(member)


def encode(collection: str, key: str, value: object, ttl: float | None, now: float) -> str:
    """Return the envelope text for one entry written at ``now`` (epoch seconds).

    Raises:
        SerializationError: the value is not a JSON object of JSON-encodable members.
    """
    check_value(collection, key, value)
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


def decode(payload: str | bytes, collection: str, key: str) -> dict[str, Any]:
    """Return the envelope document stored for (collection, key).

    Raises:
        DeserializationError: the payload is not a version-1 envelope for this entry.
    """
    try:
        document = _decode(payload if type(payload) is str else payload.decode())  # type: ignore[union-attr]
    except (ValueError, UnicodeDecodeError, RecursionError, AttributeError) as exc:
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} is not a kvstore envelope "
            f"(invalid JSON: {exc})"
        ) from exc
    if (
        type(document) is not dict
        or document.get("kvstore") != FORMAT_VERSION
        or type(document.get("value")) is not dict
    ):
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} is not a version "
            f"{FORMAT_VERSION} kvstore envelope"
        )
    if document.get("collection") != collection or document.get("key") != key:
        raise DeserializationError(
            f"stored data for collection {collection!r} key {key!r} belongs to another entry "
            f"(collection {document.get('collection')!r} key {document.get('key')!r})"
        )
    expires_at = document.get("expires_at")
    if expires_at is not None and type(expires_at) not in (int, float):
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
    try:
        return TTLInfo(
            collection=document["collection"],
            key=document["key"],
            created_at=utc_from_timestamp(document.get("created_at")),
            ttl=document.get("ttl"),
            expires_at=utc_from_timestamp(document["expires_at"]),
        )
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise DeserializationError(
            f"stored data for collection {document['collection']!r} key {document['key']!r} "
            f"has invalid timestamps"
        ) from exc
