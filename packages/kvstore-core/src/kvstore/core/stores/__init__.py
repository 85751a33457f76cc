"""The stores that ship with kvstore-core."""

from ._null import NullStore as NullStore
from ._simple import SimpleStore as SimpleStore

__all__ = ["NullStore", "SimpleStore"]
