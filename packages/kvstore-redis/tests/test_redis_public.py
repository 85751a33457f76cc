"""The public surface of kvstore.redis."""

from __future__ import annotations

import kvstore.redis
from kvstore.core import BaseKVStore


def test_all_is_pinned() -> None:
    assert kvstore.redis.__all__ == ["DEFAULT_PREFIX", "RedisStore"]


def test_redis_store_is_a_base_store() -> None:
    assert issubclass(kvstore.redis.RedisStore, BaseKVStore)
    assert kvstore.redis.DEFAULT_PREFIX == "kvstore:"
