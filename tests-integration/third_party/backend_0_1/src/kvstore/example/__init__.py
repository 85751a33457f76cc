"""kvstore-example: an example kvstore backend."""

from ._store import ExampleStore as ExampleStore

__all__ = ["ExampleStore"]
