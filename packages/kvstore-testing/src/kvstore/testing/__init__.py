"""kvstore-testing: the conformance kit every kvstore backend runs.

Subclass :class:`StoreConformance` in a backend's tests, define an async ``store``
fixture that yields an empty store, and declare the backend's :class:`Capabilities`.
"""

from ._capabilities import Capabilities as Capabilities
from ._conformance import StoreConformance as StoreConformance
from ._load import LoadReport as LoadReport
from ._load import run_load as run_load

__all__ = ["Capabilities", "LoadReport", "StoreConformance", "run_load"]
