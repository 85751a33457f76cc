"""TTLInfo: the expiry metadata of a stored entry."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True, slots=True)
class TTLInfo:
    """Metadata of a live entry, as returned by ``store.ttl()``.

    Attributes:
        collection: the collection the entry lives in.
        key: the entry's key.
        created_at: when the entry was last written (timezone-aware UTC).
        ttl: the TTL in seconds given at that write, or None.
        expires_at: when the entry expires (timezone-aware UTC), or None for never.
    """

    collection: str
    key: str
    created_at: datetime | None
    ttl: float | None
    expires_at: datetime | None

    @property
    def is_expired(self) -> bool:
        """True once ``expires_at`` has passed."""
        return self.expires_at is not None and self.expires_at.timestamp() <= time.time()

    @property
    def remaining(self) -> float | None:
        """Seconds until expiry (negative once expired), or None for entries that never expire."""
        if self.expires_at is None:
            return None
        return self.expires_at.timestamp() - time.time()


def utc_from_timestamp(seconds: float | None) -> datetime | None:
    """Return the aware UTC datetime for an epoch timestamp, keeping None."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc)
