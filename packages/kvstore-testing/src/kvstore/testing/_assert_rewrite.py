"""Have pytest explain failed asserts of the kit's cases as it does a test module's.

The cases are library code, which pytest does not rewrite unless told; this module is
imported first by the package, before the modules it names.
"""

import pytest

pytest.register_assert_rewrite(
    "kvstore.testing._atomic_cases",
    "kvstore.testing._caching",
    "kvstore.testing._conformance",
    "kvstore.testing._namespaces",
    "kvstore.testing._properties",
    "kvstore.testing._sync_conformance",
)
