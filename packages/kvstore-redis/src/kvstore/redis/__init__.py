"""kvstore-redis: RedisStore, the kvstore protocol on Redis and Redis Cluster."""

from ._store import DEFAULT_PREFIX as DEFAULT_PREFIX
from ._store import RedisStore as RedisStore

__all__ = ["DEFAULT_PREFIX", "RedisStore"]
