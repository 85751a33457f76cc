"""EncryptionWrapper binds each ciphertext to the exact names the store keeps apart."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kvstore.core.errors import DeserializationError
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import EncryptionWrapper, PrefixCollectionWrapper
from kvstore.core.wrappers._encryption import key_id

KEY = bytes(range(32))
SECRET = {"card": "4111 1111 1111 1111"}

ASTRAL = "\U0001f600"
"""One character beyond U+FFFF..."""
SPLIT = "\ud83d\ude00"
"""...and the same character as two surrogate code points: another name, the same JSON."""

# Pairs of distinct names that JSON spells alike (json.dumps gives the same text for both).
LOOKALIKES = [
    (("c", "a" + ASTRAL), ("c", "a" + SPLIT)),
    (("c", "a" + SPLIT), ("c", "a" + ASTRAL)),
    ((ASTRAL, "k"), (SPLIT, "k")),
    (("c" + SPLIT, "k" + ASTRAL), ("c" + ASTRAL, "k" + SPLIT)),
]


def legacy_ciphertext(collection: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
    """Return ``value`` as the previous format (1) stored it: bound to the names' JSON."""
    nonce = os.urandom(12)
    associated = json.dumps(["kvstore-encrypted", 1, collection, key]).encode()
    sealed = AESGCM(KEY).encrypt(nonce, json.dumps(value).encode(), associated)
    return {
        "__kvstore_encrypted__": 1,
        "kid": key_id(KEY),
        "data": base64.b64encode(nonce + sealed).decode("ascii"),
    }


def test_the_lookalike_names_are_distinct_entries_spelt_alike_in_json() -> None:
    for source, target in LOOKALIKES:
        assert source != target
        assert json.dumps(source) == json.dumps(target)


@pytest.mark.parametrize(("source", "target"), LOOKALIKES)
async def test_a_ciphertext_moved_to_a_lookalike_name_fails(
    source: tuple[str, str], target: tuple[str, str]
) -> None:
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY])
    await store.put(*source, SECRET)
    stolen = await inner.get(*source)
    assert stolen is not None
    await inner.put(*target, stolen)
    assert len(inner.entries) == 2  # the store keeps the two names apart
    with pytest.raises(DeserializationError, match="failed authentication"):
        await store.get(*target)
    assert await store.get(*source) == SECRET


async def test_lookalike_names_each_read_their_own_value() -> None:
    store = EncryptionWrapper(SimpleStore(), keys=[KEY])
    await store.put_many("c", {ASTRAL: {"v": 1}, SPLIT: {"v": 2}, "\ud800": {"v": 3}})
    assert await store.get_many("c", [ASTRAL, SPLIT, "\ud800"]) == [{"v": 1}, {"v": 2}, {"v": 3}]


async def test_a_collection_key_split_cannot_be_moved() -> None:
    # Length-prefixing the collection keeps ("ab", "c") and ("a", "bc") apart.
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY])
    await store.put("ab", "c", SECRET)
    stolen = await inner.get("ab", "c")
    assert stolen is not None
    await inner.put("a", "bc", stolen)
    with pytest.raises(DeserializationError, match="failed authentication"):
        await store.get("a", "bc")


async def test_new_values_are_written_in_format_2() -> None:
    inner = SimpleStore()
    await EncryptionWrapper(inner, keys=[KEY]).put("c", "k", SECRET)
    stored = await inner.get("c", "k")
    assert stored is not None
    assert stored["__kvstore_encrypted__"] == 2


# -- values written by the previous format ---------------------------------------------


@pytest.mark.parametrize(
    ("collection", "key"), [("cards", "ada"), ("c::x", "naïve key"), ("\uffff", "\ue000")]
)
async def test_format_1_values_still_read_where_their_binding_was_exact(
    collection: str, key: str
) -> None:
    inner = SimpleStore()
    await inner.put(collection, key, legacy_ciphertext(collection, key, SECRET))
    assert await EncryptionWrapper(inner, keys=[KEY]).get(collection, key) == SECRET


async def test_a_format_1_value_still_fails_under_another_name() -> None:
    inner = SimpleStore()
    await inner.put("cards", "bob", legacy_ciphertext("cards", "ada", SECRET))
    with pytest.raises(DeserializationError, match="failed authentication"):
        await EncryptionWrapper(inner, keys=[KEY]).get("cards", "bob")


@pytest.mark.parametrize("name", ["a" + ASTRAL, "a" + SPLIT, "\udc00"])
async def test_format_1_values_are_refused_where_their_binding_was_ambiguous(name: str) -> None:
    inner = SimpleStore()
    await inner.put("c", name, legacy_ciphertext("c", name, SECRET))
    await inner.put(name, "k", legacy_ciphertext(name, "k", SECRET))
    store = EncryptionWrapper(inner, keys=[KEY])
    with pytest.raises(DeserializationError, match="format 1"):
        await store.get("c", name)
    with pytest.raises(DeserializationError, match="format 1"):
        await store.get(name, "k")


async def test_a_format_2_value_relabelled_as_format_1_fails() -> None:
    inner = SimpleStore()
    store = EncryptionWrapper(inner, keys=[KEY])
    await store.put("c", "k", SECRET)
    stored = await inner.get("c", "k")
    assert stored is not None
    await inner.put("c", "k", {**stored, "__kvstore_encrypted__": 1})
    with pytest.raises(DeserializationError, match="failed authentication"):
        await store.get("c", "k")


async def test_a_format_1_value_relabelled_as_format_2_fails() -> None:
    inner = SimpleStore()
    await inner.put("c", "k", {**legacy_ciphertext("c", "k", SECRET), "__kvstore_encrypted__": 2})
    with pytest.raises(DeserializationError, match="failed authentication"):
        await EncryptionWrapper(inner, keys=[KEY]).get("c", "k")


async def test_reencrypt_moves_format_1_values_to_format_2() -> None:
    inner = SimpleStore()
    await inner.put("cards", "ada", legacy_ciphertext("cards", "ada", SECRET), ttl=600)
    store = EncryptionWrapper(inner, keys=[KEY])
    await store.put("cards", "bob", SECRET)
    assert await store.reencrypt("cards") == 1
    assert await store.reencrypt("cards") == 0
    stored = await inner.get("cards", "ada")
    assert stored is not None
    assert stored["__kvstore_encrypted__"] == 2
    assert await store.get("cards", "ada") == SECRET
    info = await inner.ttl("cards", "ada")
    assert info is not None
    assert info.ttl is not None
    assert 590 < info.ttl <= 600


async def test_prefix_wrappers_above_it_bind_the_prefixed_names() -> None:
    inner = SimpleStore()
    sealed = EncryptionWrapper(inner, keys=[KEY])
    first, second = PrefixCollectionWrapper(sealed, "a"), PrefixCollectionWrapper(sealed, "b")
    await first.put("c", "k", SECRET)
    await second.put("c", "k", {"other": 1})
    stored_first, stored_second = await inner.list_collections()
    swapped = {
        stored_first: await inner.get(stored_second, "k"),
        stored_second: await inner.get(stored_first, "k"),
    }
    for collection, stolen in swapped.items():
        assert stolen is not None
        await inner.put(collection, "k", stolen)
    for wrapper in (first, second):
        with pytest.raises(DeserializationError, match="failed authentication"):
            await wrapper.get("c", "k")
