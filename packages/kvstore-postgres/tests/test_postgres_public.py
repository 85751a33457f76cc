"""The public surface of kvstore.postgres."""

from __future__ import annotations

import kvstore.postgres
from kvstore.core import BaseKVStore


def test_all_is_pinned() -> None:
    assert kvstore.postgres.__all__ == ["PostgresStore"]


def test_postgres_store_is_a_base_store() -> None:
    assert issubclass(kvstore.postgres.PostgresStore, BaseKVStore)
