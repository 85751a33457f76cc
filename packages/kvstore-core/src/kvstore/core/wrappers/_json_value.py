"""A value's JSON text, for the wrappers that measure or transform values before storing them."""

from __future__ import annotations

import json
from typing import Any

from .._base import Value
from .._envelope import check_value
from .._validation import check_name
from ..errors import DeserializationError, SerializationError

# The same settings as the envelope, so a value's text here is the text it takes there.
_encode = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
_decode = json.JSONDecoder().decode


def dump_value(collection: str, key: str, value: object) -> str:
    """Return the compact JSON text of ``value`` after checking the names and the value.

    Raises:
        InvalidKeyError: collection or key is not a non-empty str.
        SerializationError: the value is not a JSON object of JSON-encodable members.
    """
    if type(collection) is not str or type(key) is not str or not collection or not key:
        check_name(collection, key)
    check_value(collection, key, value)
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise SerializationError(
            f"value for collection {collection!r} key {key!r} cannot be encoded as JSON: {exc}"
        ) from exc


def load_value(text: str | bytes | bytearray, collection: str, key: str, source: str) -> Value:
    """Return the JSON object in ``text``, which a wrapper decoded from what ``source`` names.

    Raises:
        DeserializationError: the text is not a JSON object.
    """
    try:
        value: Any = _decode(text if type(text) is str else text.decode())  # type: ignore[union-attr]
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DeserializationError(
            f"{source} for collection {collection!r} key {key!r} is not valid JSON: {exc}"
        ) from exc
    if type(value) is not dict:
        raise DeserializationError(
            f"{source} for collection {collection!r} key {key!r} is not a JSON object"
        )
    return value
