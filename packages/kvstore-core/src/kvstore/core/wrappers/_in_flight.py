"""What a PassthroughCacheWrapper has in flight per entry: fills, writes, cache updates."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

Name = tuple[str, str]
"""(collection, key)."""


class Claim:
    """One operation's part in an entry: a read that may fill the cache, or a write."""

    __slots__ = ("overlapped", "stale", "updating")

    def __init__(self) -> None:
        self.stale = False
        """A write since this claim began: a read must not fill the cache, a write must
        delete the entry from it rather than write its value."""
        self.updating = False
        """The cache is being written for this claim; a write waits for that to end."""
        self.overlapped = False
        """A write: another write of the entry ran at the same time."""


class InFlight:
    """The reads and writes in flight per entry, so that none leaves the cache stale.

    A read that missed the cache claims the entry before it reads the primary, and may
    fill the cache only if no write has marked its claim stale. A write, once the
    primary has taken it, marks every other claim stale and waits for cache updates
    already under way, so its own cache update lands last. A write writes its value
    to the cache only if no other write of the entry ran at the same time and none
    marked it stale; otherwise it deletes the entry from the cache (the order the
    primary took the writes in is unknown).
    """

    def __init__(self) -> None:
        self.reads: dict[Name, list[Claim]] = {}
        self.writes: dict[Name, list[Claim]] = {}

    @staticmethod
    def _add(table: dict[Name, list[Claim]], names: Iterable[Name], claim: Claim) -> None:
        for name in names:
            table.setdefault(name, []).append(claim)

    @staticmethod
    def _remove(table: dict[Name, list[Claim]], names: Iterable[Name], claim: Claim) -> None:
        for name in names:
            claims = table[name]
            claims.remove(claim)
            if not claims:
                del table[name]

    def begin_read(self, names: Iterable[Name]) -> Claim:
        """Claim entries a read is about to fetch from the primary."""
        claim = Claim()
        self._add(self.reads, names, claim)
        return claim

    def end_read(self, names: Iterable[Name], claim: Claim) -> None:
        self._remove(self.reads, names, claim)

    def begin_write(self, names: list[Name]) -> Claim:
        """Claim entries a write is about to change in the primary."""
        claim = Claim()
        for name in names:
            for other in self.writes.get(name, ()):
                other.overlapped = claim.overlapped = True
        self._add(self.writes, names, claim)
        return claim

    def end_write(self, names: Iterable[Name], claim: Claim) -> None:
        self._remove(self.writes, names, claim)

    async def settle(self, names: Iterable[Name], own: Claim | None = None) -> None:
        """Mark the other claims on ``names`` stale, and wait for their cache updates under way.

        A stale read does not fill the cache; a stale write deletes the entry from the
        cache instead of writing its value.
        """
        names = list(names)
        while True:
            busy = False
            for name in names:
                for claim in (*self.reads.get(name, ()), *self.writes.get(name, ())):
                    if claim is own:
                        continue
                    if claim.updating:
                        busy = True
                    else:
                        claim.stale = True
            if not busy:
                return
            # Cache updates are short; the loop polls instead of using an event, so that
            # the wrapper works from several event loops.
            await asyncio.sleep(0)

    def names_in(self, collection: str) -> list[Name]:
        """Every entry of ``collection`` with something in flight."""
        return [name for name in (*self.reads, *self.writes) if name[0] == collection]
