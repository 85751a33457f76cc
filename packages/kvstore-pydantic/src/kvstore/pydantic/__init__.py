"""kvstore-pydantic: PydanticAdapter, typed access to any store with Pydantic v2 models."""

from ._adapter import PydanticAdapter as PydanticAdapter

__all__ = ["PydanticAdapter"]
