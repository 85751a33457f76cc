"""kvstore-memory: an in-memory store, bounded (least recently used evicted first), with TTLs."""

from ._store import MemoryStore as MemoryStore

__all__ = ["MemoryStore"]
