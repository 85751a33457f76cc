"""Names in the table's columns: escaped and shortened injectively, read back unchanged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kvstore.postgres._layout import (
    ESCAPE,
    MAX_NAME_BYTES,
    escape,
    original,
    store_name,
    stored,
    unescape,
)

any_names = st.text(min_size=1) | st.text(
    alphabet=st.sampled_from(["\x00", ESCAPE, "\ud800", "\udfff", "e", "0", "s", "h", "a"]),
    min_size=1,
    max_size=20,
)
long_names = st.text(min_size=300, max_size=1_500)


def _storable(text: str) -> bool:
    """What PostgreSQL text holds and one index entry fits: UTF-8 without NUL, bounded."""
    try:
        encoded = text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text and len(encoded) <= MAX_NAME_BYTES


def test_plain_names_are_stored_as_they_are() -> None:
    for name in ["users", "a::b", "spaces in it", "🔑", "é" * 400]:
        assert store_name(name) == (name, None)
        assert stored(name) == name


@given(any_names | long_names)
def test_every_name_is_storable_and_reads_back(name: str) -> None:
    held = store_name(name)
    assert _storable(held.stored)
    assert held.full is None or "\x00" not in held.full
    assert stored(name) == held.stored
    assert original(held.stored, held.full) == name


@given(any_names)
def test_escaping_round_trips(name: str) -> None:
    assert unescape(escape(name)) == name


@given(st.lists(any_names | long_names, min_size=2, max_size=8, unique=True))
def test_distinct_names_are_stored_distinctly(names: list[str]) -> None:
    assert len({stored(name) for name in names}) == len(names)


def test_names_that_look_like_escapes_stay_distinct() -> None:
    tricky = ["\x00", ESCAPE + "0", ESCAPE, ESCAPE + "e", "\ud800", ESCAPE + "sd800"]
    assert len({stored(name) for name in tricky}) == len(tricky)
    assert [original(stored(name), None) for name in tricky] == tricky


def test_long_names_share_no_stored_form_even_with_a_common_prefix() -> None:
    first, second = "x" * 2_000 + "a", "x" * 2_000 + "b"
    assert stored(first) != stored(second)
    assert store_name(first).full == first
    assert len(stored(first).encode()) <= MAX_NAME_BYTES
