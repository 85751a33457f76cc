"""Corrupt stored data is reported, never served as a miss or a crash; other keys stay readable."""

from __future__ import annotations

import pytest

from kvstore.core.errors import DeserializationError
from kvstore.core.stores import SimpleStore


@pytest.mark.parametrize(
    "payload",
    ["garbage", '{"kvstore": 1}', '{"kvstore": 99, "value": {}}', "\x80\x04K\x01."],
)
async def test_corrupt_entry_raises_and_others_stay_readable(payload: str) -> None:
    store = SimpleStore()
    await store.put("c", "good", {"v": 1})
    store.entries[("c", "bad")] = (payload, None)
    with pytest.raises(DeserializationError, match=r"'c'.*'bad'"):
        await store.get("c", "bad")
    with pytest.raises(DeserializationError):
        await store.get_many("c", ["good", "bad"])
    with pytest.raises(DeserializationError):
        await store.ttl("c", "bad")
    assert await store.get("c", "good") == {"v": 1}
    assert await store.delete("c", "bad") is True
    assert await store.get("c", "bad") is None
