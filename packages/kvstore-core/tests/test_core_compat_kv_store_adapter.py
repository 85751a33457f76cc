"""Code written for kv-store-adapter 0.1.x: each name and default it had works the same way here,
or fails with an error that says what to write instead (docs/migrating.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kvstore.core.errors import ConfigurationError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import TTLClampWrapper

# -- TTLClampWrapper ----------------------------------------------------------------------


async def test_ttl_clamp_with_min_ttl_zero_has_no_lower_bound() -> None:
    inner = SimpleStore()
    store = TTLClampWrapper(inner, min_ttl=0, max_ttl=100)
    await store.put("c", "short", {}, ttl=0.5)
    await store.put("c", "long", {}, ttl=1000)
    await store.put("c", "none", {})
    ttls = {key: (await inner.ttl("c", key)).ttl for key in ("short", "long", "none")}  # type: ignore[union-attr]
    assert ttls == {"short": 0.5, "long": 100, "none": None}


async def test_ttl_clamp_with_min_ttl_zero_keeps_expired_writes_expired() -> None:
    store = TTLClampWrapper(SimpleStore(), min_ttl=0, max_ttl=timedelta(seconds=100))
    await store.put("c", "k", {"v": 1})
    await store.put("c", "k", {"v": 2}, ttl=0)
    assert await store.get("c", "k") is None


@pytest.mark.parametrize(
    ("bounds", "hint"),
    [
        ({"min_ttl": 0, "max_ttl": 0}, "max_ttl > 0"),
        ({"min_ttl": -1, "max_ttl": 10}, "min_ttl=0 sets no lower bound"),
        ({"min_ttl": 0, "max_ttl": 10, "missing_ttl": 0}, "write missing_ttl=None"),
    ],
    ids=["max-zero", "min-negative", "missing-zero"],
)
def test_ttl_clamp_bounds_that_cannot_work_say_what_to_write(
    bounds: dict[str, float], hint: str
) -> None:
    with pytest.raises(ConfigurationError, match=hint):
        TTLClampWrapper(SimpleStore(), **bounds)
