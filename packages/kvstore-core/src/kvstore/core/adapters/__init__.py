"""Adapters: other shapes of access over any store."""

from ._single_collection import SingleCollectionAdapter as SingleCollectionAdapter

__all__ = ["SingleCollectionAdapter"]
