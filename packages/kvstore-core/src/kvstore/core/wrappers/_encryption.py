"""EncryptionWrapper: authenticated encryption of values (AES-GCM), with key rotation."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._base import BaseKVStore, Value
from .._ttl_info import TTLInfo
from .._validation import check_collection
from ..errors import ConfigurationError, DeserializationError
from ._json_value import dump_value, load_value
from ._transform import ValueTransformWrapper

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MARKER = "__kvstore_encrypted__"
"""The member that marks a stored value as encrypted; its value is the format version."""
FORMAT_VERSION = 2
"""Format 2 binds each ciphertext to the exact names; format 1 bound their JSON spelling."""
LEGACY_FORMAT_VERSION = 1
INSTALL_HINT = 'pip install "kvstore-core[encryption]"'
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_SIZES = (16, 24, 32)


def _load_aesgcm() -> tuple[type[AESGCM], type[Exception]]:
    """Import AES-GCM from ``cryptography``, an optional dependency, only when it is needed."""
    try:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:
        raise ConfigurationError(
            f"EncryptionWrapper needs the cryptography package: {INSTALL_HINT}"
        ) from exc
    return AESGCM, InvalidTag


def key_id(key: bytes) -> str:
    """Return the public identifier of a key: 16 hex digits of a SHA-256 of it.

    The identifier is stored beside each ciphertext to find the key that decrypts it;
    it reveals nothing usable about a random key of 128 bits or more.
    """
    return hashlib.sha256(b"kvstore-encryption-key-id\x00" + key).hexdigest()[:16]


_AD_HEAD = b"kvstore-encrypted\x002\x00"
"""Starts format 2's associated data; format 1's starts with ``[``, so the two never meet."""
_NOT_IN_JSON_BINDING = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")
"""Characters that format 1's JSON binding spelt ambiguously: an astral character and the
same character as two surrogate code points were both written as one escaped pair."""


def _associated_data(collection: str, key: str) -> bytes:
    # UTF-8 with surrogatepass gives every Python str its own bytes (lone surrogates
    # included) and the collection's length makes the split unambiguous, so two distinct
    # (collection, key) pairs, the two the store keeps apart, never share associated data.
    encoded = collection.encode("utf-8", "surrogatepass")
    return (
        _AD_HEAD + len(encoded).to_bytes(8, "big") + encoded + key.encode("utf-8", "surrogatepass")
    )


def _legacy_associated_data(collection: str, key: str) -> bytes | None:
    """Return format 1's associated data, or None where it was ambiguous for these names."""
    if _NOT_IN_JSON_BINDING.search(collection) or _NOT_IN_JSON_BINDING.search(key):
        return None
    return json.dumps(["kvstore-encrypted", LEGACY_FORMAT_VERSION, collection, key]).encode()


class EncryptionWrapper(ValueTransformWrapper):
    """Encrypts every value with AES-GCM; reads decrypt and authenticate it.

    A value is stored as ``{"__kvstore_encrypted__": 2, "kid": "<key id>", "data":
    "<base64 of nonce + ciphertext + tag>"}``. The first of ``keys`` encrypts; every key
    decrypts, found by the key id stored with the ciphertext, so keys rotate by putting
    a new key first and keeping the old ones until :meth:`reencrypt` (or natural
    rewrites and expiry) has moved every entry to the new key.

    Each ciphertext is bound to its exact collection and key (AES-GCM associated data:
    both names as UTF-8 with ``surrogatepass``, the collection length-prefixed): a
    stored value copied under another key or collection, even one spelt the same in
    JSON, or altered in any way, fails to decrypt with DeserializationError. So does a
    value that is not encrypted at all (plaintext where ciphertext is expected), or one
    encrypted with a key that is not in ``keys``. Collection and key names, TTLs and the
    key id are stored in clear.

    Values of format 1 (written by builds before 0.1.0, bound to the names' JSON
    spelling) are still read, except under names holding characters beyond U+FFFF or
    surrogates, for which that binding was ambiguous; :meth:`reencrypt` moves them to
    format 2.

    A random 96-bit nonce is drawn for each write; rotate to a new key well before
    2**32 writes under one key.

    Args:
        store: the store to wrap.
        keys: AES keys of 16, 24 or 32 bytes (32 recommended, see :meth:`generate_key`),
            the current one first.

    Raises:
        ConfigurationError: ``cryptography`` is not installed (install
            ``kvstore-core[encryption]``), or ``keys`` is empty, holds something other than
            16, 24 or 32 bytes, or holds the same key twice.
    """

    def __init__(self, store: BaseKVStore, keys: Sequence[bytes]) -> None:
        aesgcm, self._invalid_tag = _load_aesgcm()
        if isinstance(keys, (bytes, bytearray, str)) or not keys:
            raise ConfigurationError("keys must be a non-empty list of AES keys (bytes)")
        ciphers: dict[str, AESGCM] = {}
        for position, key in enumerate(keys):
            if type(key) is not bytes or len(key) not in _KEY_SIZES:
                # Never echo the key itself: say only what is wrong with it.
                length = len(key) if isinstance(key, (bytes, bytearray, str)) else None
                raise ConfigurationError(
                    f"keys[{position}] must be bytes of length 16, 24 or 32, got "
                    f"{type(key).__name__}" + ("" if length is None else f" of length {length}")
                )
            identifier = key_id(key)
            if identifier in ciphers:
                raise ConfigurationError(f"keys[{position}] repeats an earlier key")
            ciphers[identifier] = aesgcm(key)
        super().__init__(store)
        self._ciphers = ciphers
        self.current_key_id = next(iter(ciphers))
        """The id of the key that encrypts new writes."""
        self.key_ids = tuple(ciphers)
        """The ids of every key that decrypts, the current one first."""

    @staticmethod
    def generate_key() -> bytes:
        """Return a new random 256-bit AES key."""
        return os.urandom(32)

    def encrypt(self, collection: str, key: str, value: Value) -> Value:
        """Return the encrypted form of ``value`` stored under (collection, key).

        Raises:
            InvalidKeyError, SerializationError: bad names or value.
        """
        plaintext = dump_value(collection, key, value).encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self.current_key_id].encrypt(
            nonce, plaintext, _associated_data(collection, key)
        )
        return {
            MARKER: FORMAT_VERSION,
            "kid": self.current_key_id,
            "data": base64.b64encode(nonce + sealed).decode("ascii"),
        }

    def decrypt(self, collection: str, key: str, stored: Value) -> Value:
        """Return the value that ``stored``, read from (collection, key), encrypts.

        Raises:
            DeserializationError: ``stored`` is not encrypted, is malformed, was encrypted
                with an unknown key or for another entry, or was altered.
        """
        where = f"collection {collection!r} key {key!r}"
        if MARKER not in stored:
            raise DeserializationError(
                f"stored value for {where} is not encrypted (plaintext where ciphertext is "
                f"expected)"
            )
        version, identifier, data = stored[MARKER], stored.get("kid"), stored.get("data")
        if (
            type(version) is not int
            or version not in (FORMAT_VERSION, LEGACY_FORMAT_VERSION)
            or type(identifier) is not str
            or type(data) is not str
        ):
            raise DeserializationError(
                f"stored value for {where} is not a version {LEGACY_FORMAT_VERSION} or "
                f"{FORMAT_VERSION} encrypted value"
            )
        if version == FORMAT_VERSION:
            associated: bytes | None = _associated_data(collection, key)
        else:
            associated = _legacy_associated_data(collection, key)
            if associated is None:
                raise DeserializationError(
                    f"stored value for {where} is in encryption format {LEGACY_FORMAT_VERSION}, "
                    f"whose binding is ambiguous for names holding characters beyond U+FFFF "
                    f"or surrogates: it is refused rather than trusted"
                )
        cipher = self._ciphers.get(identifier)
        if cipher is None:
            raise DeserializationError(
                f"stored value for {where} was encrypted with a key this wrapper does not "
                f"have (key id {identifier!r})"
            )
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DeserializationError(f"encrypted value for {where} is not valid base64") from exc
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DeserializationError(f"encrypted value for {where} is truncated")
        try:
            plaintext = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated)
        except self._invalid_tag as exc:
            raise DeserializationError(
                f"encrypted value for {where} failed authentication: it was altered, or "
                f"copied from another collection or key"
            ) from exc
        return load_value(plaintext, collection, key, "decrypted value")

    def encode_value(self, collection: str, key: str, value: Value) -> Value:
        return self.encrypt(collection, key, value)

    def decode_value(self, collection: str, key: str, stored: Value) -> Value:
        return self.decrypt(collection, key, stored)

    async def reencrypt(self, collection: str) -> int:
        """Re-encrypt every entry of a collection not under the current key and format.

        Each entry keeps its remaining TTL. Run it after putting a new key first, then
        drop the old key from ``keys`` once every collection has been re-encrypted; it
        also moves format 1 entries to format 2. Over a store with ``get_versioned`` and
        ``put_versioned`` an entry is rewritten only if nobody wrote it since it was read
        (a write racing the rotation is kept, and the entry read again); over another
        store a write racing the rotation of its entry may be overwritten.

        Returns:
            How many entries were rewritten.

        Raises:
            DeserializationError: an entry cannot be decrypted with any of ``keys``.
        """
        check_collection(collection)
        rewrite = self._rewrite_versioned if self._versioned else self._rewrite
        rewritten = 0
        for key in await self.store.keys(collection):
            rewritten += await rewrite(collection, key)
        return rewritten

    @property
    def _versioned(self) -> bool:
        return self.store.atomic_operations >= {"get_versioned", "put_versioned"}

    def _is_current(self, stored: Value) -> bool:
        return stored.get("kid") == self.current_key_id and stored.get(MARKER) == FORMAT_VERSION

    @staticmethod
    def _remaining(info: TTLInfo | None) -> float | None:
        """The TTL an entry has left (<= 0 once expired), or None if it never expires."""
        if info is None or info.expires_at is None:
            return None
        return info.expires_at.timestamp() - time.time()

    async def _rewrite(self, collection: str, key: str) -> int:
        stored, info = await self.store.get_with_ttl(collection, key)
        if stored is None or self._is_current(stored):
            return 0
        value = self.decrypt(collection, key, stored)
        ttl = self._remaining(info)
        if ttl is not None and ttl <= 0:
            return 0
        await self.store.put(collection, key, self.encrypt(collection, key, value), ttl=ttl)
        return 1

    async def _rewrite_versioned(self, collection: str, key: str) -> int:
        while True:
            found = await self.store.get_versioned(collection, key)
            if found is None or self._is_current(found.value):
                return 0
            value = self.decrypt(collection, key, found.value)
            # Read after the version: a write since then changes the version, so the
            # conditional write fails and the entry is read again.
            info = await self.store.ttl(collection, key)
            ttl = self._remaining(info)
            if info is None or (ttl is not None and ttl <= 0):
                return 0  # gone or expired meanwhile
            encrypted = self.encrypt(collection, key, value)
            if await self.store.put_versioned(
                collection, key, encrypted, version=found.version, ttl=ttl
            ):
                return 1

    def __repr__(self) -> str:
        # Key ids only: the keys themselves never appear in a repr, log or message.
        return f"EncryptionWrapper({self.store!r}, key_ids={list(self.key_ids)!r})"
