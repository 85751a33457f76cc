"""kvstore-testing: the conformance kit every kvstore backend runs.

Subclass :class:`StoreConformance` in a backend's tests, define an async ``store``
fixture that yields an empty store, and declare the backend's :class:`Capabilities`.
Subclass :class:`SyncStoreConformance` with a ``backend_store`` fixture to run every case
again through ``kvstore.core.sync.SyncStore``. Wrappers that carve namespaces out of a
store also run :class:`NamespaceConformance`; caching wrappers run
:class:`CacheCoherenceConformance`.
"""

from . import _assert_rewrite  # noqa: F401  (first: before the cases are imported)
from ._caching import CacheCoherenceConformance as CacheCoherenceConformance
from ._capabilities import Capabilities as Capabilities
from ._conformance import StoreConformance as StoreConformance
from ._doubles import FlakyStore as FlakyStore
from ._doubles import ReadGate as ReadGate
from ._doubles import SlowStore as SlowStore
from ._load import LoadReport as LoadReport
from ._load import run_load as run_load
from ._namespaces import NamespaceConformance as NamespaceConformance
from ._sync_conformance import SyncStoreConformance as SyncStoreConformance

__all__ = [
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
