"""Document ids and scopes: injective, within Elasticsearch's limits, readable when short."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kvstore.elasticsearch import _schema

names = st.text(min_size=1, max_size=700) | st.text(alphabet="a:/%#_", min_size=1, max_size=12)


def test_short_names_give_readable_ids() -> None:
    assert _schema.document_id("users", "42") == "users:42"
    assert _schema.document_id("a::b", "c/d") == "a%3A%3Ab:c%2Fd"
    assert _schema.document_id("🔑", "k") == "%F0%9F%94%91:k"


def test_long_names_are_hashed_and_stay_within_512_bytes() -> None:
    for collection, key in [("c" * 5_000, "k"), ("c", "k" * 100_000), ("é" * 900, "🎉" * 900)]:
        doc_id = _schema.document_id(collection, key)
        assert len(doc_id.encode()) <= _schema.MAX_ID_BYTES
    assert _schema.scope("c" * 5_000).startswith("#")
    assert _schema.document_id("c", "k" * 600).startswith("c:#")


@given(names, names)
def test_ids_are_short_ascii_and_scopes_decode_back(collection: str, key: str) -> None:
    doc_id = _schema.document_id(collection, key)
    assert doc_id.isascii() and len(doc_id) <= _schema.MAX_ID_BYTES
    scope = _schema.scope(collection)
    assert doc_id.startswith(scope + ":") and ":" not in scope
    decoded = _schema.collection_from_scope(scope)
    assert decoded == collection or (decoded is None and scope.startswith("#"))


@given(names, names, names, names)
def test_distinct_pairs_get_distinct_ids(c1: str, k1: str, c2: str, k2: str) -> None:
    if (c1, k1) != (c2, k2):
        assert _schema.document_id(c1, k1) != _schema.document_id(c2, k2)


def test_pairs_that_fool_naive_joins_get_distinct_ids() -> None:
    pairs = [
        (("a:b", "c"), ("a", "b:c")),
        (("a%3Ab", "c"), ("a:b", "c")),
        (("#" + "0" * 64, "k"), ("x" * 300, "k")),
        (("x" * 200, "k"), ("x" * 201, "k")),
        (("c", "k" * 510), ("c", "k" * 511)),
    ]
    for first, second in pairs:
        assert _schema.document_id(*first) != _schema.document_id(*second)


def test_the_stored_document_is_the_envelope_plus_query_fields() -> None:
    import json

    payload = '{"kvstore":1,"collection":"a/b","key":"k","value":{"x":1}}'
    doc_id = _schema.document_id("a/b", "k")
    body = json.loads(_schema.document(payload, "a/b", doc_id))
    assert body == {**json.loads(payload), "kv_scope": "a%2Fb", "kv_id": "a%2Fb:k"}


def test_the_mapping_indexes_names_and_times_but_never_the_value() -> None:
    properties = _schema.MAPPING["properties"]
    assert _schema.MAPPING["dynamic"] is False
    assert properties["collection"]["type"] == properties["key"]["type"] == "keyword"
    assert properties["created_at"]["type"] == properties["expires_at"]["type"] == "date"
    assert properties["value"] == {"type": "object", "enabled": False}
    assert properties["kv_scope"] == properties["kv_id"] == {"type": "keyword"}
    # 8191 four-byte characters stay below Lucene's 32,766-byte term limit
    assert properties["key"]["ignore_above"] * 4 <= 32_766


any_names = st.text(st.characters(blacklist_categories=()), min_size=1, max_size=700)
"""Names that may hold lone surrogates, which a JSON round trip through the server loses."""


@given(any_names, any_names)
def test_a_spelled_out_key_decodes_back_from_its_id_exactly(collection: str, key: str) -> None:
    doc_id = _schema.document_id(collection, key)
    decoded = _schema.key_from_id(doc_id)
    assert decoded == key or (decoded is None and doc_id.partition(":")[2].startswith("#"))


def test_a_lone_surrogate_key_decodes_back_from_its_id() -> None:
    assert _schema.key_from_id(_schema.document_id("c", "a\udfffb")) == "a\udfffb"
    assert _schema.key_from_id(_schema.document_id("c", "k" * 600)) is None
