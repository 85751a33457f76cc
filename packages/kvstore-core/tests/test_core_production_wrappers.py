"""The production wrappers: each runs the whole conformance kit, then its own behaviour."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from kvstore.core import BaseKVStore
from kvstore.core.errors import (
    ConfigurationError,
    DeserializationError,
    InvalidKeyError,
    ReadOnlyError,
    SerializationError,
    StoreConnectionError,
    ValueTooLargeError,
)
from kvstore.core.stores import SimpleStore
from kvstore.core.wrappers import (
    CompressionWrapper,
    EncryptionWrapper,
    FallbackWrapper,
    LimitSizeWrapper,
    LoggingWrapper,
    ReadOnlyWrapper,
    RetryWrapper,
    TimeoutWrapper,
)
from kvstore.core.wrappers._encryption import key_id
from kvstore.testing import StoreConformance

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))


# -- test-only stores ---------------------------------------------------------------------


class FlakyStore(SimpleStore):
    """A SimpleStore whose primitives fail with StoreConnectionError on demand.

    The next ``failures`` primitive calls fail; with ``fail_every=n``, every n-th call
    to a read primitive fails too. A failing call fails before touching anything, as a
    refused connection does. ``down=True`` fails every call until set back.
    """

    def __init__(self, failures: int = 0, fail_every: int = 0) -> None:
        super().__init__(max_entries=None)
        self.failures = failures
        self.fail_every = fail_every
        self.down = False
        self.calls = 0
        self.reads = 0

    def _trip(self, reading: bool) -> None:
        self.calls += 1
        if self.down:
            raise StoreConnectionError("test store: connection refused")
        if self.failures > 0:
            self.failures -= 1
            raise StoreConnectionError("test store: connection refused")
        if reading and self.fail_every:
            self.reads += 1
            if self.reads % self.fail_every == 0:
                raise StoreConnectionError("test store: connection reset")

    async def _read(self, collection: str, key: str) -> str | bytes | None:
        self._trip(reading=True)
        return await super()._read(collection, key)

    async def _read_many(self, collection: str, keys: list[str]) -> list[str | bytes | None]:
        self._trip(reading=True)
        return [await super(FlakyStore, self)._read(collection, key) for key in keys]

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        self._trip(reading=False)
        await super()._write(collection, key, payload, ttl)

    async def _write_many(
        self, collection: str, entries: list[tuple[str, str]], ttl: float | None
    ) -> None:
        self._trip(reading=False)
        for key, payload in entries:
            await super()._write(collection, key, payload, ttl)

    async def _remove(self, collection: str, key: str) -> bool:
        self._trip(reading=False)
        return await super()._remove(collection, key)

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        self._trip(reading=False)
        return sum([await super(FlakyStore, self)._remove(collection, key) for key in keys])

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        self._trip(reading=True)
        async for page in super()._scan(collection):
            yield page

    async def _collections(self) -> list[str]:
        self._trip(reading=True)
        return await super()._collections()

    async def _cull(self) -> None:
        self._trip(reading=False)
        await super()._cull()


class SlowStore(SimpleStore):
    """A SimpleStore whose every primitive first sleeps ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(max_entries=None)
        self.delay = delay

    async def _read(self, collection: str, key: str) -> str | bytes | None:
        await asyncio.sleep(self.delay)
        return await super()._read(collection, key)

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        await asyncio.sleep(self.delay)
        await super()._write(collection, key, payload, ttl)

    async def _remove(self, collection: str, key: str) -> bool:
        await asyncio.sleep(self.delay)
        return await super()._remove(collection, key)

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        await asyncio.sleep(self.delay)
        async for page in super()._scan(collection):
            yield page

    async def _collections(self) -> list[str]:
        await asyncio.sleep(self.delay)
        return await super()._collections()


def payload_of(store: SimpleStore, collection: str, key: str) -> str:
    """The envelope text SimpleStore holds for an entry."""
    return store.entries[(collection, key)][0]


# -- every wrapper runs the kit ------------------------------------------------------------


class TestCompressionWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with CompressionWrapper(SimpleStore(max_entries=None), min_size=0) as store:
            yield store


class TestEncryptionWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        inner = SimpleStore(max_entries=None)
        async with EncryptionWrapper(inner, keys=[KEY_1, KEY_2]) as store:
            yield store


class TestRetryWrapper(StoreConformance):
    """The kit passes over a store that drops every seventh read."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        inner = FlakyStore(fail_every=7)
        async with RetryWrapper(inner, attempts=3, base_delay=0.001, max_delay=0.002) as store:
            yield store


class TestTimeoutWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with TimeoutWrapper(SimpleStore(max_entries=None), timeout=5.0) as store:
            yield store


class TestFallbackWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        primary, fallback = SimpleStore(max_entries=None), SimpleStore(max_entries=None)
        async with FallbackWrapper(primary, fallback) as store:
            yield store


class TestReadOnlyWrapperWithWritesAllowed(StoreConformance):
    """The kit writes, so it runs with ``read_only=False``: everything must still forward."""

    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        inner = SimpleStore(max_entries=None)
        async with ReadOnlyWrapper(inner, read_only=False) as store:
            yield store


class TestLimitSizeWrapper(StoreConformance):
    @pytest.fixture
    async def store(self) -> AsyncIterator[BaseKVStore]:
        async with LimitSizeWrapper(SimpleStore(max_entries=None), max_bytes=1_000_000) as store:
            yield store


@pytest.fixture
def debug_logger() -> Iterator[logging.Logger]:
    """A logger enabled for DEBUG whose records go to a list at ``logger.records``."""
    logger = logging.getLogger(f"kvstore-test-{os.urandom(4).hex()}")
    records: list[logging.LogRecord] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = ListHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.records = records  # type: ignore[attr-defined]
    yield logger
    logger.removeHandler(handler)


class TestLoggingWrapper(StoreConformance):
    """Logging enabled, values included: the path with the most work in it."""

    @pytest.fixture
    async def store(self, debug_logger: logging.Logger) -> AsyncIterator[BaseKVStore]:
        inner = SimpleStore(max_entries=None)
        async with LoggingWrapper(inner, logger=debug_logger, log_values=True) as store:
            yield store


class TestProductionChain(StoreConformance):
    """Logging, read-only switch, fallback, retry, timeout, size limit, compression, encryption.

    The store of record drops every eleventh read; the retries hide that, so the
    fallback (empty) is never consulted.
    """

    @pytest.fixture
    async def store(self, debug_logger: logging.Logger) -> AsyncIterator[BaseKVStore]:
        sealed = EncryptionWrapper(FlakyStore(fail_every=11), keys=[KEY_2, KEY_1])
        limited = LimitSizeWrapper(CompressionWrapper(sealed, min_size=100), 2_000_000)
        retried = RetryWrapper(TimeoutWrapper(limited, 5.0), base_delay=0.001, max_delay=0.002)
        fallback = FallbackWrapper(retried, SimpleStore(max_entries=None))
        async with LoggingWrapper(ReadOnlyWrapper(fallback, read_only=False), debug_logger) as s:
            yield s


# -- CompressionWrapper --------------------------------------------------------------------

COMPRESSIBLE = {"rows": [{"id": i, "name": "same text again and again"} for i in range(200)]}


async def test_compression_shrinks_what_is_stored() -> None:
    plain, inner = SimpleStore(), SimpleStore()
    store = CompressionWrapper(inner)
    await plain.put("c", "k", COMPRESSIBLE)
    await store.put("c", "k", COMPRESSIBLE)
    assert len(payload_of(inner, "c", "k")) * 5 < len(payload_of(plain, "c", "k"))
    stored = await inner.get("c", "k")
    assert stored is not None
    assert set(stored) == {"__kvstore_compressed__", "zlib"}
    assert await store.get("c", "k") == COMPRESSIBLE
    assert await store.get_many("c", ["k", "missing", "k"]) == [COMPRESSIBLE, None, COMPRESSIBLE]
    value, info = await store.get_with_ttl("c", "k")
    assert value == COMPRESSIBLE
    assert info is not None
    assert info.key == "k"


async def test_compression_threshold_is_on_the_json_size() -> None:
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=500)
    at_limit = {"t": "a" * (500 - len('{"t":""}'))}
    over = {"t": "a" * (501 - len('{"t":""}'))}
    await store.put_many("c", {"at": at_limit, "over": over})
    assert await inner.get("c", "at") == at_limit
    over_stored = await inner.get("c", "over")
    assert over_stored is not None
    assert "__kvstore_compressed__" in over_stored
    assert await store.get_many("c", ["at", "over"]) == [at_limit, over]


async def test_compression_keeps_incompressible_values_plain() -> None:
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=10)
    noise = {"n": base64.b64encode(os.urandom(3000)).decode()}
    await store.put("c", "noise", noise)
    assert await inner.get("c", "noise") == noise
    assert await store.get("c", "noise") == noise


async def test_compression_reads_data_written_without_it() -> None:
    inner = SimpleStore()
    await inner.put("c", "old", COMPRESSIBLE)
    assert await CompressionWrapper(inner).get("c", "old") == COMPRESSIBLE


async def test_a_value_that_looks_like_a_marker_round_trips() -> None:
    inner = SimpleStore()
    store = CompressionWrapper(inner, min_size=10_000)
    lookalike = {"__kvstore_compressed__": 1, "zlib": "not base64!"}
    await store.put("c", "k", lookalike)
    assert await store.get("c", "k") == lookalike


@pytest.mark.parametrize(
    "stored",
    [
        {"__kvstore_compressed__": 1, "zlib": "%%% not base64"},
        {"__kvstore_compressed__": 1, "zlib": base64.b64encode(b"not zlib").decode()},
        {"__kvstore_compressed__": 1, "zlib": base64.b64encode(zlib.compress(b"[1]")).decode()},
        {"__kvstore_compressed__": 1, "zlib": base64.b64encode(zlib.compress(b"{no")).decode()},
        {"__kvstore_compressed__": 2, "zlib": ""},
        {"__kvstore_compressed__": True, "zlib": ""},
        {"__kvstore_compressed__": 1},
    ],
    ids=["bad-base64", "not-zlib", "not-an-object", "bad-json", "version-2", "bool", "no-data"],
)
async def test_a_corrupt_compressed_value_raises(stored: dict[str, Any]) -> None:
    inner = SimpleStore()
    await inner.put("the-collection", "the-key", stored)
    store = CompressionWrapper(inner)
    with pytest.raises(DeserializationError, match=r"'the-collection' key 'the-key'"):
        await store.get("the-collection", "the-key")
    with pytest.raises(DeserializationError):
        await store.get_many("the-collection", ["the-key"])


@pytest.mark.parametrize("options", [{"min_size": -1}, {"level": 10}, {"level": "9"}])
def test_compression_rejects_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        CompressionWrapper(SimpleStore(), **options)


# -- EncryptionWrapper ---------------------------------------------------------------------

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


# -- RetryWrapper ----------------------------------------------------------------------------


@pytest.mark.parametrize("failures", [0, 1, 2])
async def test_retry_succeeds_after_fewer_failures_than_attempts(failures: int) -> None:
    inner = FlakyStore()
    store = RetryWrapper(inner, attempts=3, base_delay=0.001, max_delay=0.01)
    inner.failures = failures
    await store.put("c", "k", {"v": 1})
    assert inner.calls == failures + 1
    inner.calls, inner.failures = 0, failures
    assert await store.get("c", "k") == {"v": 1}
    assert inner.calls == failures + 1


async def test_retry_gives_up_after_the_attempts() -> None:
    inner = FlakyStore(failures=5)
    store = RetryWrapper(inner, attempts=4, base_delay=0.001, max_delay=0.01)
    with pytest.raises(StoreConnectionError):
        await store.get("c", "k")
    assert inner.calls == 4
    inner.calls = 0
    with pytest.raises(StoreConnectionError):
        await RetryWrapper(inner, attempts=1).get("c", "k")
    assert inner.calls == 1


async def test_retry_does_not_retry_other_errors() -> None:
    inner = FlakyStore()
    store = RetryWrapper(inner, attempts=5, base_delay=0.001)
    inner.entries[("c", "corrupt")] = ("not an envelope", None)
    with pytest.raises(DeserializationError):
        await store.get("c", "corrupt")
    assert inner.calls == 1
    with pytest.raises(InvalidKeyError):
        await store.get("c", "")
    with pytest.raises(SerializationError):
        await store.put("c", "k", {"bad": {1, 2}})
    assert inner.calls == 1


def test_retry_delays_are_jittered_and_bounded() -> None:
    store = RetryWrapper(SimpleStore(), attempts=10, base_delay=0.1, max_delay=0.5)
    for retry, cap in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (9, 0.5), (10_000, 0.5)]:
        delays = [store.delay(retry) for _ in range(300)]
        assert all(0 <= delay <= cap for delay in delays)
        assert max(delays) > cap * 0.8
        assert min(delays) < cap * 0.2
        assert len(set(delays)) > 250


async def test_retry_total_wait_is_bounded() -> None:
    inner = FlakyStore(failures=3)
    store = RetryWrapper(inner, attempts=4, base_delay=0.05, max_delay=0.08)
    started = time.perf_counter()
    await store.put("c", "k", {})
    elapsed = time.perf_counter() - started
    assert inner.calls == 4
    assert elapsed < 0.05 + 0.08 + 0.08 + 0.1


async def test_retry_restarts_iter_keys_before_its_first_key() -> None:
    inner = FlakyStore()
    store = RetryWrapper(inner, attempts=3, base_delay=0.001)
    await store.put_many("c", {"a": {}, "b": {}})
    inner.failures = 2
    assert sorted([key async for key in store.iter_keys("c")]) == ["a", "b"]
    inner.failures = 3
    with pytest.raises(StoreConnectionError):
        [key async for key in store.iter_keys("c")]


@pytest.mark.parametrize(
    "options",
    [
        {"attempts": 0},
        {"attempts": 1.5},
        {"base_delay": -1},
        {"max_delay": float("inf")},
        {"base_delay": 2.0, "max_delay": 1.0},
        {"base_delay": True},
    ],
)
def test_retry_rejects_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RetryWrapper(SimpleStore(), **options)


# -- TimeoutWrapper --------------------------------------------------------------------------


async def test_timeout_bounds_a_slow_operation() -> None:
    store = TimeoutWrapper(SlowStore(delay=1.0), timeout=0.05)
    started = time.perf_counter()
    with pytest.raises(StoreConnectionError) as raised:
        await store.get("the-collection", "the-key")
    assert time.perf_counter() - started < 0.5
    assert isinstance(raised.value.__cause__, asyncio.TimeoutError)
    message = str(raised.value)
    assert "get" in message
    assert "'the-collection'" in message
    assert "'the-key'" in message
    assert "0.05s" in message


async def test_timeout_names_the_keys_of_a_batch() -> None:
    store = TimeoutWrapper(SlowStore(delay=1.0), timeout=0.02)
    with pytest.raises(StoreConnectionError, match=r"put_many on collection 'c' keys \['a'"):
        await store.put_many("c", {"a": {}, "b": {}})
    keys = [f"k{i}" for i in range(20)]
    with pytest.raises(StoreConnectionError, match=r"'k4', \.\.\. 20 keys\]"):
        await store.get_many("c", keys)
    with pytest.raises(StoreConnectionError, match="iter_keys on collection 'c'"):
        [key async for key in store.iter_keys("c")]
    with pytest.raises(StoreConnectionError, match="list_collections timed out"):
        await store.list_collections()


async def test_timeout_lets_fast_operations_through() -> None:
    store = TimeoutWrapper(SlowStore(delay=0.01), timeout=1.0)
    await store.put("c", "k", {"v": 1})
    assert await store.get("c", "k") == {"v": 1}
    assert [key async for key in store.iter_keys("c")] == ["k"]


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "5", True])
def test_timeout_rejects_bad_values(timeout: Any) -> None:
    with pytest.raises(ConfigurationError):
        TimeoutWrapper(SimpleStore(), timeout=timeout)


# -- FallbackWrapper -------------------------------------------------------------------------


async def test_fallback_serves_reads_while_the_primary_is_down() -> None:
    primary, fallback = FlakyStore(), SimpleStore()
    store = FallbackWrapper(primary, fallback)
    await primary.put("c", "k", {"from": "primary"})
    await fallback.put("c", "k", {"from": "fallback"})
    await fallback.put("c", "only-fallback", {})
    assert await store.get("c", "k") == {"from": "primary"}

    primary.down = True
    assert await store.get("c", "k") == {"from": "fallback"}
    assert await store.get_many("c", ["k", "x"]) == [{"from": "fallback"}, None]
    assert await store.exists("c", "only-fallback") is True
    assert await store.ttl("c", "k") is not None
    assert sorted(await store.keys("c")) == ["k", "only-fallback"]
    assert sorted([key async for key in store.iter_keys("c")]) == ["k", "only-fallback"]
    assert await store.list_collections() == ["c"]

    primary.down = False
    assert await store.get("c", "k") == {"from": "primary"}
    assert await store.keys("c") == ["k"]


async def test_fallback_writes_go_to_the_primary_only() -> None:
    primary, fallback = FlakyStore(), SimpleStore()
    store = FallbackWrapper(primary, fallback)
    await store.put("c", "k", {"v": 1})
    assert await fallback.get("c", "k") is None
    primary.down = True
    with pytest.raises(StoreConnectionError):
        await store.put("c", "k", {"v": 2})
    with pytest.raises(StoreConnectionError):
        await store.delete("c", "k")
    with pytest.raises(StoreConnectionError):
        await store.clear_collection("c")
    assert fallback.entries == {}
    primary.down = False
    assert await store.get("c", "k") == {"v": 1}


async def test_fallback_does_not_hide_other_errors() -> None:
    primary, fallback = SimpleStore(), SimpleStore()
    await fallback.put("c", "k", {"from": "fallback"})
    primary.entries[("c", "k")] = ("corrupt", None)
    with pytest.raises(DeserializationError):
        await FallbackWrapper(primary, fallback).get("c", "k")


async def test_fallback_raises_when_both_are_down() -> None:
    primary, fallback = FlakyStore(), FlakyStore()
    primary.down = fallback.down = True
    store = FallbackWrapper(primary, fallback)
    with pytest.raises(StoreConnectionError):
        await store.get("c", "k")
    with pytest.raises(StoreConnectionError):
        [key async for key in store.iter_keys("c")]


# -- ReadOnlyWrapper -------------------------------------------------------------------------


async def test_read_only_refuses_every_write_and_changes_nothing() -> None:
    inner = SimpleStore()
    await inner.put_many("c", {"a": {"v": 1}, "b": {}}, ttl=0.01)
    await inner.put("c", "kept", {"v": 2})
    before = dict(inner.entries)
    store = ReadOnlyWrapper(inner)
    await asyncio.sleep(0.02)
    writes = {
        "put": store.put("c", "kept", {"v": 3}),
        "put_many": store.put_many("c", {"x": {}}),
        "delete": store.delete("c", "kept"),
        "delete_many": store.delete_many("c", ["kept"]),
        "clear_collection": store.clear_collection("c"),
        "cull": store.cull(),
    }
    for operation, write in writes.items():
        with pytest.raises(ReadOnlyError, match=operation) as raised:
            await write
        if operation != "cull":
            assert "'c'" in str(raised.value)
    assert inner.entries == before


async def test_read_only_forwards_reads() -> None:
    inner = SimpleStore()
    await inner.put("c", "k", {"v": 1}, ttl=60)
    store = ReadOnlyWrapper(inner)
    assert await store.get("c", "k") == {"v": 1}
    assert await store.get_many("c", ["k"]) == [{"v": 1}]
    assert await store.exists("c", "k") is True
    info = await store.ttl("c", "k")
    assert info is not None
    assert info.ttl == 60
    assert await store.keys("c") == ["k"]
    assert [key async for key in store.iter_keys("c")] == ["k"]
    assert await store.list_collections() == ["c"]


async def test_read_only_can_be_switched() -> None:
    store = ReadOnlyWrapper(SimpleStore())
    with pytest.raises(ReadOnlyError, match="'c' key 'k'"):
        await store.put("c", "k", {})
    store.read_only = False
    await store.put("c", "k", {})
    store.read_only = True
    with pytest.raises(ReadOnlyError):
        await store.delete("c", "k")
    assert await store.get("c", "k") == {}


# -- LimitSizeWrapper ------------------------------------------------------------------------


def value_of_size(size: int) -> dict[str, str]:
    """A value whose compact JSON is exactly ``size`` bytes."""
    value = {"t": "x" * (size - len('{"t":""}'))}
    assert len(json.dumps(value, separators=(",", ":"))) == size
    return value


async def test_limit_size_boundary() -> None:
    inner = SimpleStore()
    store = LimitSizeWrapper(inner, max_bytes=100)
    await store.put("c", "fits", value_of_size(100))
    assert await store.get("c", "fits") == value_of_size(100)
    with pytest.raises(ValueTooLargeError) as raised:
        await store.put("the-collection", "the-key", value_of_size(101))
    message = str(raised.value)
    assert "'the-collection'" in message
    assert "'the-key'" in message
    assert "101" in message
    assert "100" in message
    assert await inner.get("the-collection", "the-key") is None


async def test_limit_size_counts_escaped_characters() -> None:
    store = LimitSizeWrapper(SimpleStore(), max_bytes=20)
    await store.put("c", "k", {"t": "é" * 2})
    with pytest.raises(ValueTooLargeError):
        await store.put("c", "k", {"t": "🎉" * 2})


async def test_limit_size_put_many_checks_every_value_first() -> None:
    inner = SimpleStore()
    store = LimitSizeWrapper(inner, max_bytes=100)
    await store.put("c", "a", {"old": True})
    with pytest.raises(ValueTooLargeError, match="'big'"):
        await store.put_many("c", {"a": {"new": True}, "big": value_of_size(500), "z": {}})
    assert await inner.get_many("c", ["a", "big", "z"]) == [{"old": True}, None, None]


async def test_limit_size_reports_bad_values_and_names_first() -> None:
    store = LimitSizeWrapper(SimpleStore(), max_bytes=10)
    with pytest.raises(SerializationError):
        await store.put("c", "k", {"big": "x" * 100, "bad": object()})
    with pytest.raises(InvalidKeyError):
        await store.put("c", "", value_of_size(500))


@pytest.mark.parametrize("max_bytes", [0, 1, -5, 10.5, "100"])
def test_limit_size_rejects_bad_limits(max_bytes: Any) -> None:
    with pytest.raises(ConfigurationError):
        LimitSizeWrapper(SimpleStore(), max_bytes=max_bytes)


# -- LoggingWrapper --------------------------------------------------------------------------


def kvstore_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: value for name, value in vars(record).items() if name.startswith("kvstore_")}


async def test_logging_records_each_operation(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.put("users", "42", {"name": "Ada"}, ttl=60)
    await store.get("users", "42")
    await store.get("users", "missing")
    await store.get_many("users", ["42", "missing"])
    await store.delete("users", "nope")
    await store.delete_many("users", ["42", "x"])
    assert [kvstore_fields(r)["kvstore_operation"] for r in records] == [
        "put",
        "get",
        "get",
        "get_many",
        "delete",
        "delete_many",
    ]
    put, hit, miss, many, delete, delete_many = (kvstore_fields(r) for r in records)
    assert put["kvstore_collection"] == "users"
    assert put["kvstore_key"] == "42"
    assert put["kvstore_ttl"] == 60
    assert put["kvstore_outcome"] == "ok"
    assert hit["kvstore_outcome"] == "hit"
    assert miss["kvstore_outcome"] == "miss"
    assert many["kvstore_keys"] == ["42", "missing"]
    assert many["kvstore_hits"] == 1
    assert delete["kvstore_outcome"] == "absent"
    assert delete_many["kvstore_count"] == 1
    for record in records:
        assert record.levelno == logging.DEBUG
        assert 0 <= record.kvstore_duration_ms < 1000  # type: ignore[attr-defined]
    assert records[1].getMessage().startswith("kvstore get collection='users' key='42': hit (")


async def test_logging_redacts_values_by_default(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.put("users", "42", {"password": "hunter2"})
    await store.put_many("users", {"43": {"password": "hunter2"}})
    await store.get("users", "42")
    await store.get_many("users", ["42"])
    await store.get_with_ttl("users", "42")
    with pytest.raises(SerializationError):
        await store.put("users", "44", {"hunter2": {"x": {1: "y"}}, "k": {"hunter2": 1}})
    assert len(records) == 6
    for record in records:
        assert "hunter2" not in repr(vars(record))
        assert "hunter2" not in record.getMessage()
    assert records[-1].kvstore_error == "SerializationError"  # type: ignore[attr-defined]


async def test_logging_values_when_asked(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger, log_values=True)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.put("c", "k", {"v": 1})
    await store.get("c", "k")
    await store.get_many("c", ["k", "x"])
    assert records[0].kvstore_value == {"v": 1}  # type: ignore[attr-defined]
    assert records[1].kvstore_value == {"v": 1}  # type: ignore[attr-defined]
    assert records[2].kvstore_values == [{"v": 1}, None]  # type: ignore[attr-defined]


async def test_logging_errors_at_warning(debug_logger: logging.Logger) -> None:
    inner = FlakyStore()
    inner.down = True
    store = LoggingWrapper(inner, logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    with pytest.raises(StoreConnectionError):
        await store.get("c", "k")
    (record,) = records
    assert record.levelno == logging.WARNING
    assert record.kvstore_outcome == "error"  # type: ignore[attr-defined]
    assert record.kvstore_error.startswith("StoreConnectionError: ")  # type: ignore[attr-defined]


async def test_logging_iter_keys_and_management(debug_logger: logging.Logger) -> None:
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    records: list[logging.LogRecord] = debug_logger.records  # type: ignore[attr-defined]
    await store.put_many("c", {"a": {}, "b": {}, "c": {}})
    assert sorted([key async for key in store.iter_keys("c")]) == ["a", "b", "c"]
    assert records[-1].kvstore_operation == "iter_keys"  # type: ignore[attr-defined]
    assert records[-1].kvstore_count == 3  # type: ignore[attr-defined]
    assert await store.clear_collection("c") == 3
    assert records[-1].kvstore_count == 3  # type: ignore[attr-defined]
    await store.list_collections()
    await store.cull()
    await store.close()
    operations = [r.kvstore_operation for r in records[-3:]]  # type: ignore[attr-defined]
    assert operations == ["list_collections", "cull", "close"]


async def test_logging_is_silent_when_the_level_is_off(debug_logger: logging.Logger) -> None:
    debug_logger.setLevel(logging.INFO)
    store = LoggingWrapper(SimpleStore(), logger=debug_logger)
    await store.put("c", "k", {})
    assert await store.get("c", "k") == {}
    assert [key async for key in store.iter_keys("c")] == ["k"]
    assert debug_logger.records == []  # type: ignore[attr-defined]
    loud = LoggingWrapper(SimpleStore(), logger=debug_logger, level=logging.INFO)
    await loud.get("c", "k")
    assert len(debug_logger.records) == 1  # type: ignore[attr-defined]


def test_logging_uses_the_kvstore_logger_by_default() -> None:
    assert LoggingWrapper(SimpleStore()).logger is logging.getLogger("kvstore")
