"""Capabilities a backend declares, so the kit knows which cases apply to it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    """What a store under test can do; the kit skips a case only through one of these.

    Attributes:
        stores_values: the store keeps what is written (False only for NullStore-like stores).
        bounded: the store may evict live entries beyond ``max_entries``.
        max_entries: the bound, when ``bounded`` (the kit never writes more than this
            in one case unless it is testing eviction).
        eventually_consistent: management operations (keys, list_collections,
            clear_collection) may lag behind writes; the kit calls ``settle()`` first.
        slow_writes: each write costs a network round trip or more (informational).
        other_event_loops: the store works when called from event loops other than the
            one it was created in (each in its own thread). When False, the kit checks
            that such a call raises a KVStoreError whose message says so, instead of
            hanging or leaking a driver error.
        max_ttl: the longest TTL the store keeps, in seconds, when it clamps longer ones
            (as ``TTLClampWrapper`` does); cases writing very long TTLs then expect it.
    """

    stores_values: bool = True
    bounded: bool = False
    max_entries: int | None = None
    eventually_consistent: bool = False
    slow_writes: bool = False
    other_event_loops: bool = True
    max_ttl: float | None = None
