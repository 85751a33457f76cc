"""kvstore-postgres: PostgresStore, the kvstore protocol on a PostgreSQL table."""

from ._store import PostgresStore as PostgresStore

__all__ = ["PostgresStore"]
