"""What every group of the kit's cases shares: the store fixture, capabilities, skips."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

import pytest

from kvstore.core import BaseKVStore

from ._capabilities import Capabilities


class KitCases:
    """The base of the kit's case groups; backends subclass ``StoreConformance``.

    The ``store`` fixture yields an empty store and closes it afterwards. ``capabilities``
    describes the backend; a case is only skipped through a declared capability, and the
    skip says which.
    """

    capabilities: ClassVar[Capabilities] = Capabilities()

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        """Yield an empty store of the backend under test."""
        raise NotImplementedError("a conformance test class must define the `store` fixture")
        return

    async def settle(self, store: BaseKVStore) -> None:
        """Wait until writes are visible to management operations (eventually consistent stores)."""

    def require_values(self) -> None:
        if not self.capabilities.stores_values:
            pytest.skip("capability stores_values=False: the store keeps nothing")

    def kept_ttl(self, seconds: float) -> float:
        """The TTL the store keeps for ``seconds`` (its ``max_ttl`` when it clamps)."""
        clamp = self.capabilities.max_ttl
        return seconds if clamp is None else min(seconds, clamp)
