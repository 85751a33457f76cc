"""Version tokens of ElasticsearchStore and the write conditions they turn into.

A token names one state of one document: its sequence number and primary term (what
Elasticsearch's ``if_seq_no``/``if_primary_term`` compare), and, for a document that
expires, its ``expires_at``: ``"<seq_no>:<primary_term>"`` or
``"<seq_no>:<primary_term>:<expires_at>"``. Any write gives the document a new sequence
number, so the token changes on every write. Carrying the expiry lets ``put_versioned``
decide in one request: a document still at that sequence number has that expiry, so it is
live exactly while that expiry is in the future.
"""

from __future__ import annotations

from typing import Any

CREATE: dict[str, Any] = {"op_type": "create"}
"""The condition of a write that succeeds only if no document has the id."""


def version(seq_no: int, primary_term: int, source: dict[str, Any]) -> str:
    """Return the token of a document read with ``seq_no`` and ``primary_term``."""
    expires_at = source.get("expires_at")
    if isinstance(expires_at, (int, float)) and not isinstance(expires_at, bool):
        return f"{seq_no}:{primary_term}:{expires_at!r}"
    return f"{seq_no}:{primary_term}"


def condition(token: str, now: float | None = None) -> dict[str, Any] | None:
    """Return the ``if_seq_no``/``if_primary_term`` arguments of ``token``.

    None if the token is not one this store gives out, or (with ``now``) if the document
    it names has expired by ``now``: no live document can have that version.
    """
    parts = token.split(":")
    if len(parts) not in (2, 3):
        return None
    try:
        seq_no, primary_term = int(parts[0]), int(parts[1])
        expires_at = float(parts[2]) if len(parts) == 3 else None
    except ValueError:
        return None
    if now is not None and expires_at is not None and expires_at <= now:
        return None
    return {"if_seq_no": seq_no, "if_primary_term": primary_term}


__all__ = ["CREATE", "condition", "version"]
