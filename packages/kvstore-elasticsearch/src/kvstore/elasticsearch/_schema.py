"""The index mapping, document ids and the document body the store writes.

A stored document is the TTL envelope itself (``kvstore``, ``collection``, ``key``,
``created_at``, ``ttl``, ``expires_at``, ``value``) plus two fields the store queries:

- ``kv_scope``: the collection encoded as a short keyword (see :func:`scope`);
- ``kv_id``: a copy of the document id, the unique sort key for paging through keys.

The document id is ``scope(collection) + ":" + key_part``, where each part is the
percent-escaped name (every character but ``A-Z a-z 0-9 _ . - ~`` escaped, so neither
part contains ``:`` or ``#``) or, when that would be too long, ``#`` followed by the
SHA-256 hex digest of the name. Escaped and hashed parts never look alike, and the
``:`` splits an id in exactly one place, so distinct (collection, key) pairs get
distinct ids; every id stays within Elasticsearch's 512-byte limit.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote, unquote

MAX_ID_BYTES: Final = 512
"""Elasticsearch rejects document ids longer than this (in UTF-8 bytes)."""
MAX_SCOPE_CHARS: Final = 200
"""Escaped collections longer than this are hashed, leaving room for the key in the id."""
KEYWORD_IGNORE_ABOVE: Final = 8191
"""Longest ``collection``/``key`` indexed as a keyword: 8191 four-byte characters stay
under Lucene's 32,766-byte term limit; longer names are stored but not indexed there
(the store itself queries only ``kv_scope`` and ``kv_id``, which are always short)."""

MAPPING: Final[dict[str, Any]] = {
    # Fields outside this mapping are kept in _source but never indexed, so nothing a
    # caller stores can grow the mapping.
    "dynamic": False,
    "properties": {
        "kvstore": {"type": "integer", "index": False},
        "collection": {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE},
        "key": {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE},
        # The envelope's times are epoch seconds with a fraction; ignore_malformed lets
        # an expiry beyond the date range (a TTL of centuries) be stored unindexed,
        # which the queries read as "never expires".
        "created_at": {"type": "date", "format": "epoch_second", "ignore_malformed": True},
        "expires_at": {"type": "date", "format": "epoch_second", "ignore_malformed": True},
        "ttl": {"type": "double", "index": False},
        "value": {"type": "object", "enabled": False},
        "kv_scope": {"type": "keyword"},
        "kv_id": {"type": "keyword"},
    },
}
"""The explicit mapping of the store's index, created on first write."""

_INVALID_INDEX_CHARS = re.compile(r'[\\/*?"<>| ,#:A-Z]')


def _hashed(name: str) -> str:
    return "#" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=1024)
def scope(collection: str) -> str:
    """Return the short, injective keyword that stands for ``collection`` in the index."""
    escaped = quote(collection, safe="", errors="surrogatepass")
    return escaped if len(escaped) <= MAX_SCOPE_CHARS else _hashed(collection)


def document_id(collection: str, key: str) -> str:
    """Return the document id of (collection, key): injective and at most 512 bytes."""
    prefix = scope(collection) + ":"
    escaped = quote(key, safe="", errors="surrogatepass")
    if len(prefix) + len(escaped) <= MAX_ID_BYTES:
        return prefix + escaped
    return prefix + _hashed(key)


def key_from_id(doc_id: str) -> str | None:
    """Return the key a document id spells out, or None for a hashed key part."""
    key_part = doc_id.partition(":")[2]
    if key_part.startswith("#"):
        return None
    return unquote(key_part, errors="surrogatepass")


def collection_from_scope(value: str) -> str | None:
    """Return the collection an escaped scope stands for, or None for a hashed scope."""
    if value.startswith("#"):
        return None
    return unquote(value, errors="surrogatepass")


def document(payload: str, collection: str, doc_id: str) -> str:
    """Return the JSON body stored for an envelope payload: the envelope plus query fields.

    The scope and id hold only unreserved characters, ``%``, ``#`` and ``:``, so they need
    no JSON escaping, and the envelope text is reused as it is (no decode, no re-encode).
    """
    return '{"kv_scope":"' + scope(collection) + '","kv_id":"' + doc_id + '",' + payload[1:]


def check_index_name(index: object) -> str | None:
    """Return why ``index`` is not a valid Elasticsearch index name, or None if it is."""
    if type(index) is not str or not index:
        return "must be a non-empty str"
    if index in (".", "..") or index[0] in "-_+":
        return "must not be '.' or '..' or start with '-', '_' or '+'"
    if _INVALID_INDEX_CHARS.search(index):
        return 'must be lowercase, without spaces or any of \\ / * ? " < > | , # :'
    if len(index.encode()) > 255:
        return "must be at most 255 bytes"
    return None
