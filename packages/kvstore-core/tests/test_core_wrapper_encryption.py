"""EncryptionWrapper: values stored encrypted, bound to their names."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kvstore.core import ATOMIC_OPERATIONS, BaseKVStore
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
    InvalidValueError,
    UnsupportedOperationError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import EncryptionWrapper
from kvstore.core.wrappers._encryption import key_id
from kvstore.testing import StoreConformance

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))


def payload_of(store: SimpleStore, collection: str, key: str) -> str:
    """The envelope text SimpleStore holds for an entry."""
    return store.entries[(collection, key)][0]


class TestEncryptionWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        inner = SimpleStore(max_entries=None)
        async with EncryptionWrapper(inner, keys=[KEY_1, KEY_2]) as store:
            yield store

    # EncryptionWrapper's increment rewrites a live counter through put_versioned with the
    # TTL it had left: its expiry is kept, but ttl() then reports that remainder as its TTL
    # (and the time of the increment as created_at). Exact TTL metadata needs a core
    # primitive that rewrites a value keeping the entry's timing (docs/wrappers-production.md).
    _KEPT_TTL = pytest.mark.xfail(
        reason="EncryptionWrapper.increment keeps a live counter's expiry but reports the "
        "remaining TTL as its ttl (rewritten through put_versioned)",
        strict=True,
    )

    @_KEPT_TTL
    async def test_increment_keeps_the_ttl_of_a_live_counter(self, store: BaseKVStore) -> None:
        await super().test_increment_keeps_the_ttl_of_a_live_counter(store)

    @_KEPT_TTL
    async def test_racing_increments_of_a_counter_with_a_ttl_keep_the_ttl(
        self, store: BaseKVStore
    ) -> None:
        await super().test_racing_increments_of_a_counter_with_a_ttl_keep_the_ttl(store)

    @_KEPT_TTL
    async def test_increment_with_a_ttl_of_zero_or_less(self, store: BaseKVStore) -> None:
        await super().test_increment_with_a_ttl_of_zero_or_less(store)


SECRET = {"card": "4111 1111 1111 1111", "owner": "Ada"}


async def test_encryption_stores_no_plaintext() -> None:
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY_1])
    await store.put("cards", "ada", SECRET, ttl=60)
    raw = payload_of(inner, "cards", "ada")
    assert "4111" not in raw
    assert "Ada" not in raw
    stored = await inner.get("cards", "ada")
    assert stored is not None
    assert stored["kid"] == key_id(KEY_1) == store.current_key_id
    assert await store.get("cards", "ada") == SECRET
    info = await store.ttl("cards", "ada")
    assert info is not None
    assert info.ttl == 60


async def test_the_same_value_encrypts_differently_each_time() -> None:
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY_1])
    await store.put_many("c", {"a": SECRET, "b": SECRET})
    first, second = await inner.get_many("c", ["a", "b"])
    assert first is not None
    assert second is not None
    assert first["data"] != second["data"]


async def test_key_rotation() -> None:
    inner = SimpleStore()
    await EncryptionWrapper(inner, keys=[KEY_1]).put("c", "old", SECRET, ttl=600)
    rotated = EncryptionWrapper(inner, keys=[KEY_2, KEY_1])
    assert await rotated.get("c", "old") == SECRET
    await rotated.put("c", "new", {"v": 2})
    new = await inner.get("c", "new")
    assert new is not None
    assert new["kid"] == key_id(KEY_2)

    only_new = EncryptionWrapper(inner, keys=[KEY_2])
    with pytest.raises(DeserializationError, match="key id"):
        await only_new.get("c", "old")
    assert await only_new.get("c", "new") == {"v": 2}

    assert await rotated.reencrypt("c") == 1
    assert await rotated.reencrypt("c") == 0
    assert await only_new.get("c", "old") == SECRET
    info = await only_new.ttl("c", "old")
    assert info is not None
    assert info.expires_at is not None
    assert 590 < info.expires_at.timestamp() - time.time() <= 600


@pytest.mark.parametrize(
    "target", [("cards", "bob"), ("other", "ada"), ("cards::x", "ada"), ("cards", "ada ")]
)
async def test_a_ciphertext_copied_under_another_name_fails(target: tuple[str, str]) -> None:
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY_1])
    await store.put("cards", "ada", SECRET)
    stolen = await inner.get("cards", "ada")
    assert stolen is not None
    await inner.put(*target, stolen)
    with pytest.raises(DeserializationError, match="failed authentication"):
        await store.get(*target)
    assert await store.get("cards", "ada") == SECRET


async def test_a_tampered_ciphertext_fails() -> None:
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY_1])
    await store.put("c", "k", SECRET)
    stored = await inner.get("c", "k")
    assert stored is not None
    raw = bytearray(base64.b64decode(stored["data"]))
    for position in (0, 12, len(raw) - 1):
        altered = bytearray(raw)
        altered[position] ^= 1
        await inner.put("c", "k", {**stored, "data": base64.b64encode(altered).decode()})
        with pytest.raises(DeserializationError, match="'c' key 'k'"):
            await store.get("c", "k")


@pytest.mark.parametrize(
    "stored",
    [
        {"card": "4111"},
        {"__kvstore_encrypted__": 1, "kid": "0" * 16, "data": ""},
        {"__kvstore_encrypted__": 1, "kid": key_id(KEY_1), "data": "AAAA"},
        {"__kvstore_encrypted__": 1, "kid": key_id(KEY_1), "data": "%% not base64"},
        {"__kvstore_encrypted__": 9, "kid": key_id(KEY_1), "data": ""},
        {"__kvstore_encrypted__": 1, "kid": 5, "data": ""},
    ],
    ids=["plaintext", "unknown-key", "truncated", "bad-base64", "version-9", "bad-kid"],
)
async def test_unreadable_stored_values_raise(stored: dict[str, Any]) -> None:
    inner = SimpleStore()
    await inner.put("c", "k", stored)
    store = EncryptionWrapper(inner, keys=[KEY_1])
    with pytest.raises(DeserializationError, match="'c' key 'k'"):
        await store.get("c", "k")
    with pytest.raises(DeserializationError):
        await store.get_many_with_ttl("c", ["k"])


@pytest.mark.parametrize(
    "keys",
    [[], b"x" * 32, "x" * 32, [b"short"], ["x" * 32], [KEY_1, KEY_1], [bytearray(KEY_1)]],
    ids=["empty", "bytes", "str", "short", "str-key", "repeated", "bytearray"],
)
def test_encryption_rejects_bad_keys_without_echoing_them(keys: Any) -> None:
    with pytest.raises(ConfigurationError) as raised:
        EncryptionWrapper(SimpleStore(), keys=keys)
    assert "xxxx" not in str(raised.value)
    assert KEY_1.hex() not in str(raised.value)


def test_encryption_repr_holds_no_key() -> None:
    store = EncryptionWrapper(SimpleStore(), keys=[KEY_1, KEY_2])
    text = repr(store)
    assert key_id(KEY_1) in text
    assert KEY_1.hex() not in text
    assert repr(KEY_1) not in text
    assert len(EncryptionWrapper.generate_key()) == 32


def test_encryption_without_cryptography_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)
    monkeypatch.setitem(sys.modules, "cryptography.exceptions", None)
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(ConfigurationError, match=r'pip install "kvstore-core\[encryption\]"'):
        EncryptionWrapper(SimpleStore(), keys=[KEY_1])


def test_wrappers_import_without_cryptography() -> None:
    code = (
        "import sys; sys.modules['cryptography'] = None\n"
        "import kvstore.core.wrappers, kvstore.core.wrappers._encryption\n"
        "print('imported')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


# -- atomic operations ----------------------------------------------------------------------


async def test_atomic_writes_store_ciphertext_and_reads_decrypt() -> None:
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY_1])
    assert await store.add("c", "k", SECRET, ttl=60) is True
    assert await store.add("c", "k", {"other": 1}) is False
    assert "4111" not in payload_of(inner, "c", "k")
    found = await store.get_versioned("c", "k")
    assert found is not None and found.value == SECRET
    inner_found = await inner.get_versioned("c", "k")
    assert inner_found is not None and inner_found.version == found.version
    assert await store.put_versioned("c", "k", {"card": "new"}, version=found.version) is True
    assert await store.put_versioned("c", "k", {"card": "late"}, version=found.version) is False
    assert "new" not in payload_of(inner, "c", "k")
    assert await store.get("c", "k") == {"card": "new"}
    assert await store.touch("c", "k", 30) is True
    assert await store.take("c", "k") == {"card": "new"}
    assert await store.take("c", "k") is None
    assert await inner.get("c", "k") is None


async def test_take_of_an_undecryptable_value_raises_and_removes_nothing() -> None:
    inner = SimpleStore()
    await EncryptionWrapper(inner, keys=[KEY_2]).put("c", "k", SECRET)
    store = EncryptionWrapper(inner, keys=[KEY_1])  # lacks the key that encrypted it
    with pytest.raises(DeserializationError, match="key this wrapper does not have"):
        await store.take("c", "k")
    assert await EncryptionWrapper(inner, keys=[KEY_2]).get("c", "k") == SECRET


async def test_increment_counts_encrypted_counters() -> None:
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY_1])
    assert await store.increment("hits", "k") == 1
    assert await store.increment("hits", "k", 41) == 42
    assert await store.increment("hits", "k", -2) == 40
    stored = await inner.get("hits", "k")
    assert stored is not None and "count" not in stored
    assert await store.get("hits", "k") == {"count": 40}


async def test_increment_keeps_the_counters_expiry_and_a_new_one_takes_the_ttl() -> None:
    store = EncryptionWrapper(SimpleStore(), keys=[KEY_1])
    await store.increment("hits", "k", ttl=60)
    first = await store.ttl("hits", "k")
    assert first is not None and first.expires_at is not None
    await asyncio.sleep(0.02)
    assert await store.increment("hits", "k", ttl=3600) == 2
    second = await store.ttl("hits", "k")
    assert second is not None and second.expires_at is not None
    assert abs((second.expires_at - first.expires_at).total_seconds()) < 0.01
    assert await store.increment("hits", "gone", ttl=0) == 1
    assert await store.get("hits", "gone") is None
    await store.increment("hits", "forever")
    forever = await store.ttl("hits", "forever")
    assert forever is not None and forever.expires_at is None


@pytest.mark.parametrize(
    ("value", "amount", "message"),
    [
        ({"count": "1"}, 1, "not a counter"),
        ({"count": 1, "more": 2}, 1, "not a counter"),
        ({"count": 2**63 - 1}, 1, "signed 64-bit"),
        ({"count": 1}, 1.5, "must be an int"),
        ({"count": 1}, True, "must be an int"),
    ],
)
async def test_increment_refuses_what_is_not_a_counter_and_writes_nothing(
    value: dict[str, Any], amount: Any, message: str
) -> None:
    store = EncryptionWrapper(SimpleStore(), keys=[KEY_1])
    await store.put("hits", "k", value)
    with pytest.raises(InvalidValueError, match=message):
        await store.increment("hits", "k", amount)
    assert await store.get("hits", "k") == value


async def test_racing_increments_and_takes_are_exact(interleaving_store: SimpleStore) -> None:
    store = EncryptionWrapper(interleaving_store, keys=[KEY_1])
    counts = await asyncio.gather(*(store.increment("hits", "k") for _ in range(64)))
    assert sorted(counts) == list(range(1, 65))
    assert await store.get("hits", "k") == {"count": 64}
    await store.put("tokens", "t", SECRET)
    taken = await asyncio.gather(*(store.take("tokens", "t") for _ in range(64)))
    assert [value for value in taken if value is not None] == [SECRET]


async def test_a_racy_read_then_write_loses_counts_on_the_same_store(
    interleaving_store: SimpleStore,
) -> None:
    # The race above is real: the same tasks counting with get then put lose updates.
    async def racy() -> None:
        value = await interleaving_store.get("hits", "k")
        count = 0 if value is None else value["count"]
        await interleaving_store.put("hits", "k", {"count": count + 1})

    await asyncio.gather(*(racy() for _ in range(64)))
    assert await interleaving_store.get("hits", "k") != {"count": 64}


async def test_take_and_increment_need_the_wrapped_stores_compare_and_set() -> None:
    class AddOnly(SimpleStore):
        atomic_operations = frozenset({"add", "touch", "increment"})

    store = EncryptionWrapper(AddOnly(), keys=[KEY_1])
    assert store.atomic_operations == {"add", "touch"}
    for call in (store.take("c", "k"), store.increment("c", "k")):
        with pytest.raises(UnsupportedOperationError, match="EncryptionWrapper does not"):
            await call
    assert EncryptionWrapper(SimpleStore(), keys=[KEY_1]).atomic_operations == ATOMIC_OPERATIONS


async def test_reencrypt_keeps_a_write_that_races_it() -> None:
    class Racing(SimpleStore):
        """Runs ``during`` once, after reencrypt has read the entry and before it writes."""

        during: Any = None

        async def _then(self, result: Any) -> Any:
            if self.during is not None:
                during, self.during = self.during, None
                await during()
            return result

        async def ttl(self, collection: str, key: str) -> Any:
            return await self._then(await super().ttl(collection, key))

        async def get_with_ttl(self, collection: str, key: str) -> Any:
            return await self._then(await super().get_with_ttl(collection, key))

    inner = Racing()
    await EncryptionWrapper(inner, keys=[KEY_1]).put("c", "k", {"v": "old"}, ttl=600)
    rotated = EncryptionWrapper(inner, keys=[KEY_2, KEY_1])
    stale = EncryptionWrapper(inner, keys=[KEY_1])  # a process not rotated yet

    async def concurrent_write() -> None:
        await stale.put("c", "k", {"v": "new"}, ttl=600)

    inner.during = concurrent_write
    assert await rotated.reencrypt("c") == 1
    assert await rotated.get("c", "k") == {"v": "new"}  # not overwritten by the old value
    stored = await inner.get("c", "k")
    assert stored is not None and stored["kid"] == key_id(KEY_2)


async def test_reencrypt_over_a_store_without_compare_and_set() -> None:
    class Plain(SimpleStore):
        atomic_operations: frozenset[str] = frozenset()

    inner = Plain()
    await EncryptionWrapper(inner, keys=[KEY_1]).put("c", "k", SECRET, ttl=600)
    await EncryptionWrapper(inner, keys=[KEY_1]).put("c", "gone", SECRET, ttl=0.01)
    await asyncio.sleep(0.02)
    rotated = EncryptionWrapper(inner, keys=[KEY_2, KEY_1])
    assert await rotated.reencrypt("c") == 1
    assert await EncryptionWrapper(inner, keys=[KEY_2]).get("c", "k") == SECRET
    info = await inner.ttl("c", "k")
    assert info is not None and info.expires_at is not None
    assert 590 < info.expires_at.timestamp() - time.time() <= 600
