"""EncryptionWrapper: values stored encrypted, bound to their names."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
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
