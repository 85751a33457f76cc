"""How (collection, key) names are held in the table's text columns, injectively.

PostgreSQL ``text`` holds any Unicode except NUL and lone surrogates, and a B-tree index entry
must stay under about 2.7 kB. A name is stored as it is unless it holds one of those or is
long; otherwise it is escaped with ``ESCAPE`` (U+FFFF, a noncharacter):

- ``ESCAPE`` itself becomes ``ESCAPE e``, NUL becomes ``ESCAPE 0``, and a lone surrogate
  becomes ``ESCAPE s`` and four hex digits. Escaping is injective, since every ``ESCAPE``
  in its output starts one of these sequences, and :func:`unescape` reverses it.
- An escaped name over ``MAX_NAME_BYTES`` UTF-8 bytes is stored shortened: a prefix of it,
  ``ESCAPE h`` and the SHA-256 of the whole escaped name. Only a shortened name holds
  ``ESCAPE h`` (an escaped name never does), two names share a shortened form only if their
  hashes collide, and the row keeps the whole escaped name in ``full_collection`` /
  ``full_key``, from which ``keys()`` and ``list_collections()`` return the original.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

ESCAPE = "\uffff"
MAX_NAME_BYTES = 1_000
"""The longest stored name, in UTF-8 bytes: two of them fit one index entry."""
_KEPT_BYTES = MAX_NAME_BYTES - 80
"""The prefix of a shortened name: room for ``ESCAPE h`` and 64 hex digits."""
_CODES = {"e": ESCAPE, "0": "\x00"}


class StoredName(NamedTuple):
    """A name as the table holds it."""

    stored: str
    """What the ``collection`` or ``key`` column holds (escaped, maybe shortened)."""
    full: str | None
    """The whole escaped name when ``stored`` is shortened, else None."""


def escape(name: str) -> str:
    """Return ``name`` with ``ESCAPE``, NUL and lone surrogates escaped (injective)."""
    if ESCAPE in name:
        name = name.replace(ESCAPE, ESCAPE + "e")
    if "\x00" in name:
        name = name.replace("\x00", ESCAPE + "0")
    try:
        name.encode()
    except UnicodeEncodeError:
        name = "".join(
            f"{ESCAPE}s{ord(char):04x}" if 0xD800 <= ord(char) <= 0xDFFF else char for char in name
        )
    return name


def unescape(text: str) -> str:
    """Return the name :func:`escape` turned into ``text``."""
    if ESCAPE not in text:
        return text
    first, *pieces = text.split(ESCAPE)
    parts = [first]
    for piece in pieces:
        code = piece[:1]
        if code == "s":
            parts.append(chr(int(piece[1:5], 16)) + piece[5:])
        else:
            parts.append(_CODES[code] + piece[1:])
    return "".join(parts)


def store_name(name: str) -> StoredName:
    """Return how the table holds ``name`` (a non-empty str)."""
    if name.isascii() and len(name) <= MAX_NAME_BYTES and "\x00" not in name:
        return StoredName(name, None)  # the common case: stored as it is
    escaped = escape(name)
    encoded = escaped.encode()
    if len(encoded) <= MAX_NAME_BYTES:
        return StoredName(escaped, None)
    kept = encoded[:_KEPT_BYTES].decode(errors="ignore")  # whole characters only
    digest = hashlib.sha256(encoded).hexdigest()
    return StoredName(f"{kept}{ESCAPE}h{digest}", escaped)


def stored(name: str) -> str:
    """Return what the ``collection`` or ``key`` column holds for ``name``."""
    if name.isascii() and len(name) <= MAX_NAME_BYTES and "\x00" not in name:
        return name
    return store_name(name).stored


def original(stored_text: str, full: str | None) -> str:
    """Return the name a row holds, from its stored column and its ``full_*`` column."""
    return unescape(stored_text if full is None else full)
