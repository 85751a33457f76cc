"""kvstore-testing: the conformance kit every kvstore backend runs.

Subclass :class:`StoreConformance` in a backend's tests, define an async ``store``
fixture that yields an empty store, and declare the backend's :class:`Capabilities`.
Subclass :class:`SyncStoreConformance` with a ``backend_store`` fixture to run every case
again through ``kvstore.core.sync.SyncStore``.
"""

from ._capabilities import Capabilities as Capabilities
from ._conformance import StoreConformance as StoreConformance
from ._load import LoadReport as LoadReport
from ._load import run_load as run_load
from ._sync_conformance import SyncStoreConformance as SyncStoreConformance

__all__ = ["Capabilities", "LoadReport", "StoreConformance", "SyncStoreConformance", "run_load"]
