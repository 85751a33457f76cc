"""Sample values, names and bad inputs the conformance kit writes."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

ROUND_TRIP_VALUES: dict[str, dict[str, Any]] = {
    "empty": {},
    "scalars": {"s": "text", "i": 42, "f": 3.25, "t": True, "n": None, "z": 0, "neg": -7},
    "big_int": {"big": 2**62 + 1, "small": -(2**62)},
    "float_precision": {"third": 1 / 3, "tiny": 5e-324, "huge": 1.7976931348623157e308},
    "unicode": {"emoji": "🎉🔑", "accents": "crème brûlée", "cjk": "键值", "nul": "a\x00b"},
    "nested": {"a": {"b": {"c": [1, {"d": [None, True, "x"]}]}}, "l": [[], {}, [[]]]},
    "unicode_member_names": {"ключ": 1, "🔑": 2, "": 3, "a.b": 4, "$x": 5},
    "list_of_dicts": {"rows": [{"id": i, "v": str(i)} for i in range(50)]},
    "large": {"blob": "x" * 200_000, "items": list(range(5_000))},
}

NAMES: dict[str, str] = {
    "simple": "users",
    "separators": "a::b:c/d\\e|f.g",
    "spaces": "  leading and trailing  ",
    "emoji": "🔑🗝️",
    "glob": "*?[]{}^$",
    "percent": "100%_%25",
    "control": "tab\there\nnewline\x01\x7f",
    "quotes": "\"'`",
    "very_long": "k" * 5_000,
    "long_unicode": "é🎉" * 600,
    "numeric": "123",
    "underscores": "__a__",
}

INJECTIVITY_PAIRS: list[tuple[tuple[str, str], tuple[str, str]]] = [
    (("a::b", "c"), ("a", "b::c")),
    (("a:b", "c"), ("a", "b:c")),
    (("a/b", "c"), ("a", "b/c")),
    (("a__b", "c"), ("a", "b__c")),
    (("a_", "_b"), ("a", "__b")),
    (("a%", "b"), ("a", "%b")),
    (("a\\", "b"), ("a", "\\b")),
    (("a b", "c"), ("a", "b c")),
    (("a\x00", "b"), ("a", "\x00b")),
    (("x" * 300, "y"), ("x" * 299, "xy")),
]

INVALID_NAMES: list[Any] = ["", None, 1, 1.5, b"bytes", ("a",), ["a"], True]

INVALID_VALUES: dict[str, Any] = {
    "list": [1, 2],
    "str": "text",
    "none": None,
    "int": 7,
    "int_member_name": {1: "x"},
    "nested_int_member_name": {"a": {"b": {2: "y"}}},
    "tuple_member_name": {("a",): 1},
    "bytes": {"a": b"raw"},
    "set": {"a": {1, 2}},
    "datetime": {"at": datetime(2026, 1, 1, tzinfo=timezone.utc)},
    "decimal": {"d": Decimal("1.5")},
    "object": {"o": object()},
    "nan": {"f": math.nan},
    "inf": {"f": math.inf},
    "negative_inf_in_list": {"l": [1, -math.inf]},
    "function": {"f": len},
}

INVALID_TTLS: dict[str, Any] = {
    "true": True,
    "false": False,
    "nan": math.nan,
    "inf": math.inf,
    "negative_inf": -math.inf,
    "str": "10",
    "list": [1],
    "object": object(),
    "nan_timedelta_like": Decimal("NaN"),
    "int_beyond_float": 10**400,
    "negative_int_beyond_float": -(10**400),
}

VALID_TTLS: dict[str, Any] = {
    "int": 60,
    "float": 60.5,
    "timedelta": timedelta(minutes=1),
}
