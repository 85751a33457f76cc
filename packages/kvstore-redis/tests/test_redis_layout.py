"""The Redis key layout is injective and its SCAN patterns select exactly one collection."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kvstore.redis._layout import (
    collection_prefix,
    decode_name,
    encode_name,
    encode_names,
    glob_pattern,
)

# Any code point, lone surrogates included: collections and keys are arbitrary Python str.
names = st.text(alphabet=st.characters(codec=None, exclude_categories=()), min_size=1)
prefixes = st.sampled_from(["kvstore:", "app:", "a", "{tag}:", "x*y?[z]\\:"])


def unescape_glob(pattern: str) -> tuple[str, list[str]]:
    """Split a Redis glob into the literal text it matches and its unescaped wildcards."""
    literal, wildcards, index = [], [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            literal.append(pattern[index + 1])
            index += 2
            continue
        if char in "*?[]":
            wildcards.append(char)
        else:
            literal.append(char)
        index += 1
    return "".join(literal), wildcards


@given(prefixes, names, names, names, names)
def test_distinct_pairs_never_share_a_name(
    prefix: str, collection: str, key: str, other_collection: str, other_key: str
) -> None:
    if (collection, key) != (other_collection, other_key):
        assert encode_name(prefix, collection, key) != encode_name(
            prefix, other_collection, other_key
        )


@given(prefixes, names, names)
def test_a_name_decodes_to_its_pair(prefix: str, collection: str, key: str) -> None:
    name = encode_name(prefix, collection, key)
    assert decode_name(prefix, name) == (collection, key)
    assert decode_name(prefix, name.decode("utf-8", "surrogatepass")) == (collection, key)


@given(prefixes, names, names, names)
def test_a_collection_prefix_starts_only_its_own_names(
    prefix: str, collection: str, other_collection: str, key: str
) -> None:
    start = collection_prefix(prefix, collection).encode("utf-8", "surrogatepass")
    assert encode_name(prefix, collection, key).startswith(start)
    if other_collection != collection:
        assert not encode_name(prefix, other_collection, key).startswith(start)


@given(prefixes, names, st.lists(names, max_size=5))
def test_a_batch_of_names_is_each_pair_named_alone(
    prefix: str, collection: str, keys: list[str]
) -> None:
    assert encode_names(prefix, collection, keys) == [
        encode_name(prefix, collection, key) for key in keys
    ]


def test_separator_pairs_get_different_names() -> None:
    assert encode_name("kvstore:", "a:b", "c") == b"kvstore:3:a:b:c"
    assert encode_name("kvstore:", "a", "b:c") == b"kvstore:1:a:b:c"


@given(prefixes, names)
def test_glob_pattern_is_the_literal_then_one_star(prefix: str, collection: str) -> None:
    literal = collection_prefix(prefix, collection)
    pattern = glob_pattern(literal).decode("utf-8", "surrogatepass")
    matched, wildcards = unescape_glob(pattern)
    assert wildcards == ["*"]
    assert pattern.endswith("*") and not pattern.endswith("\\*")
    assert matched == literal


def test_glob_metacharacters_are_escaped() -> None:
    assert glob_pattern("k:4:*?[]:") == b"k:4:\\*\\?\\[\\]:*"
    assert glob_pattern("k:1:\\:") == b"k:1:\\\\:*"


def test_foreign_keys_are_not_decoded() -> None:
    for name in [
        b"other:1:a:b",
        b"kvstore:",
        b"kvstore:abc",
        b"kvstore:1:a",
        b"kvstore:1:a:",
        b"kvstore:01:a:b",
        b"kvstore:0::b",
        b"kvstore:2:a:b",
        b"kvstore:+1:a:b",
        "kvstore:\u0661:a:b",
    ]:
        assert decode_name("kvstore:", name) is None, name
