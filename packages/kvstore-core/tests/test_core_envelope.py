"""The TTL envelope format is pinned: data written by one release is read by the next."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kvstore.core import _envelope
from kvstore.core.errors import DeserializationError

GOLDEN = Path(__file__).parent / "golden" / "envelope-v1.json"
GOLDEN_VALUE = {"name": "Ada", "tags": ["a", "b"], "nested": {"n": 1.5, "ok": True, "none": None}}


def test_encoding_matches_the_golden_document_byte_for_byte() -> None:
    payload = _envelope.encode("users", "42", GOLDEN_VALUE, 60.5, 1764240000.125)
    assert payload == GOLDEN.read_text().strip()


def test_golden_document_decodes_to_value_and_metadata() -> None:
    document = _envelope.decode(GOLDEN.read_bytes(), "users", "42")
    assert document["value"] == GOLDEN_VALUE
    info = _envelope.ttl_info(document)
    assert info.created_at == datetime(2025, 11, 27, 10, 40, 0, 125000, tzinfo=timezone.utc)
    assert info.expires_at == datetime(2025, 11, 27, 10, 41, 0, 625000, tzinfo=timezone.utc)
    assert info.ttl == 60.5
    assert (info.collection, info.key) == ("users", "42")


def test_entry_without_ttl_has_null_expiry() -> None:
    document = json.loads(_envelope.encode("c", "k", {}, None, 1.0))
    assert document == {
        "kvstore": 1,
        "collection": "c",
        "key": "k",
        "created_at": 1.0,
        "ttl": None,
        "expires_at": None,
        "value": {},
    }


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        "[]",
        '"text"',
        "{}",
        '{"kvstore": 2, "collection": "c", "key": "k", "expires_at": null, "value": {}}',
        '{"kvstore": 1, "collection": "c", "key": "k", "expires_at": null, "value": [1]}',
        '{"kvstore": 1, "collection": "c", "key": "k", "expires_at": "soon", "value": {}}',
        b"\xff\xfe",
        b"\x80\x04\x95\x00\x00",
    ],
)
def test_anything_but_an_envelope_raises_deserialization_error(payload: str | bytes) -> None:
    with pytest.raises(DeserializationError, match=r"'c'.*'k'"):
        _envelope.decode(payload, "c", "k")


def test_an_envelope_of_another_entry_is_rejected() -> None:
    payload = _envelope.encode("c", "other", {"v": 1}, None, 1.0)
    with pytest.raises(DeserializationError, match="belongs to another entry"):
        _envelope.decode(payload, "c", "k")


def test_non_ascii_text_is_escaped_so_any_backend_can_hold_it() -> None:
    payload = _envelope.encode("c", "k", {"s": "🎉\udc80"}, None, 1.0)
    assert payload.isascii()
    assert _envelope.decode(payload, "c", "k")["value"] == {"s": "🎉\udc80"}


def test_a_name_with_a_split_surrogate_pair_reads_back_as_its_own_entry() -> None:
    split_pair = "\ud83d\ude00"
    payload = _envelope.encode(split_pair, split_pair, {"v": 1}, None, 1.0)
    assert _envelope.decode(payload, split_pair, split_pair)["value"] == {"v": 1}
    with pytest.raises(DeserializationError, match="belongs to another entry"):
        _envelope.decode(payload, split_pair, "other")


def test_a_document_already_parsed_by_a_driver_is_checked_not_parsed() -> None:
    document = json.loads(_envelope.encode("c", "k", {"v": [1]}, 5.0, 1.0))
    document["extra_backend_field"] = "ignored"
    assert _envelope.decode(document, "c", "k")["value"] == {"v": [1]}
    with pytest.raises(DeserializationError, match="belongs to another entry"):
        _envelope.decode(document, "c", "other")
    for broken in ({}, {"kvstore": 1, "value": {}}, {**document, "value": "text"}):
        with pytest.raises(DeserializationError):
            _envelope.decode(broken, "c", "k")
