"""The kit's public surface is pinned."""

from __future__ import annotations

import kvstore.testing


def test_testing_exports() -> None:
    assert kvstore.testing.__all__ == [
        "CacheCoherenceConformance",
        "Capabilities",
        "FlakyStore",
        "LoadReport",
        "NamespaceConformance",
        "ReadGate",
        "SlowStore",
        "StoreConformance",
        "SyncStoreConformance",
        "run_load",
    ]
    assert all(hasattr(kvstore.testing, name) for name in kvstore.testing.__all__)
