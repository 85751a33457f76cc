"""@cached: keys built from arguments, results of any JSON type, one call per key in flight."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from kvstore.core import InvalidKeyError, InvalidTTLError, cached
from kvstore.core._cached import WRAPPED, unwrap, wrap
from kvstore.core.stores import SimpleStore


@pytest.fixture
def store() -> SimpleStore:
    return SimpleStore()


async def test_a_result_is_computed_once_then_read_from_the_store(store: SimpleStore) -> None:
    calls: list[int] = []

    @cached(store, "squares", ttl=60)
    async def square(number: int) -> dict[str, int]:
        calls.append(number)
        return {"square": number * number}

    assert await square(3) == {"square": 9}
    assert await square(3) == {"square": 9}
    assert await square(4) == {"square": 16}
    assert calls == [3, 4]
    assert await store.get("squares", square.cache_key(3)) == {"square": 9}


async def test_concurrent_calls_share_one_call(store: SimpleStore) -> None:
    calls = 0

    @cached(store, "slow")
    async def slow(name: str) -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return name.upper()

    assert await asyncio.gather(*(slow("a") for _ in range(50))) == ["A"] * 50
    assert calls == 1


@pytest.mark.parametrize(
    "result",
    [
        None,
        True,
        0,
        -1.5,
        "text",
        [1, "two", None],
        {},
        {"plain": "object"},
        {WRAPPED: "looks wrapped"},
        {WRAPPED: {WRAPPED: 1}},
        {WRAPPED: 1, "and": "more"},
    ],
    ids=repr,
)
async def test_any_json_result_comes_back_as_it_was(store: SimpleStore, result: Any) -> None:
    @cached(store, "results")
    async def compute() -> Any:
        return result

    assert await compute() == result  # the miss
    assert await compute() == result  # the hit


def test_wrapping_is_injective() -> None:
    results: list[Any] = [None, 1, "x", [], {}, {"a": 1}, {WRAPPED: 1}, {WRAPPED: {WRAPPED: 1}}]
    stored = [json.dumps(wrap(result), sort_keys=True) for result in results]
    assert len(set(stored)) == len(results)
    assert [unwrap(json.loads(text)) for text in stored] == results


async def test_an_object_result_is_stored_as_it_is(store: SimpleStore) -> None:
    @cached(store, "users", key=lambda user_id: f"user:{user_id}")
    async def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id}

    await user(7)
    assert await store.get("users", "user:7") == {"id": 7}


async def test_tuples_come_back_as_lists(store: SimpleStore) -> None:
    @cached(store, "pairs")
    async def pair() -> Any:
        return (1, 2)

    assert await pair() == [1, 2]
    assert await pair() == [1, 2]


async def test_a_call_by_position_by_name_or_by_default_is_one_key(store: SimpleStore) -> None:
    @cached(store, "fn")
    async def function(a: int, b: int = 2) -> int:
        return a + b

    keys = {
        function.cache_key(1),
        function.cache_key(1, 2),
        function.cache_key(a=1),
        function.cache_key(b=2, a=1),
    }
    assert len(keys) == 1


async def test_keys_name_the_function_and_its_arguments(store: SimpleStore) -> None:
    @cached(store, "fn")
    async def function(a: Any, *rest: Any, **options: Any) -> None:
        return None

    assert function.cache_key("x", 1, flag=True) == (
        f'{__name__}.{function.__qualname__}:{{"a":"x","options":{{"flag":true}},"rest":[1]}}'
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (1, 1.0),
        (1, True),
        (0, False),
        (None, "null"),
        ("1", 1),
        ([1, 2], "[1, 2]"),
        ({"a": 1}, [["a", 1]]),
        ("a:b", "a"),
        ({"a": 1, "b": 2}, {"a": 1, "b": 3}),
        (0.1, 0.1 + 1e-17 + 1e-16),
    ],
    ids=repr,
)
def test_different_arguments_never_share_a_key(store: SimpleStore, first: Any, second: Any) -> None:
    @cached(store, "fn")
    async def function(value: Any) -> None:
        return None

    assert function.cache_key(first) != function.cache_key(second)


def test_different_functions_never_share_a_key(store: SimpleStore) -> None:
    @cached(store, "fn")
    async def one(value: int) -> None:
        return None

    @cached(store, "fn")
    async def two(value: int) -> None:
        return None

    assert one.cache_key(1) != two.cache_key(1)


@pytest.mark.parametrize(
    ("argument", "named"),
    [
        ((1, 2), "a tuple"),
        ({1, 2}, "a set"),
        (b"bytes", "a bytes"),
        (object(), "a object"),
        (float("nan"), "the float nan"),
        ([1, (2,)], "argument value[1], a tuple"),
        ({"k": {3: "x"}}, "value['k'], a dict with a int key"),
    ],
    # Ids without addresses, so every pytest-xdist worker collects the same tests.
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
async def test_an_argument_without_a_json_form_is_a_clear_error(
    store: SimpleStore, argument: Any, named: str
) -> None:
    calls = 0

    @cached(store, "fn")
    async def function(value: Any) -> None:
        nonlocal calls
        calls += 1

    with pytest.raises(InvalidKeyError, match="key=") as raised:
        await function(argument)
    assert named in str(raised.value)
    assert calls == 0


async def test_subclasses_of_json_types_are_refused(store: SimpleStore) -> None:
    class Name(str):
        pass

    @cached(store, "fn")
    async def function(value: Any) -> None:
        return None

    with pytest.raises(InvalidKeyError, match=r"a .*Name"):
        function.cache_key(Name("x"))


async def test_a_key_callable_gets_the_arguments_and_its_result_must_be_a_str(
    store: SimpleStore,
) -> None:
    @cached(store, "fn", key=lambda a, b=None: f"{a}-{b}")
    async def function(a: object, b: object = None) -> int:
        return 1

    assert function.cache_key(object, b=2) == "<class 'object'>-2"

    @cached(store, "fn", key=lambda value: value)
    async def bad(value: Any) -> int:
        return 1

    for wrong in ["", 3]:
        with pytest.raises(InvalidKeyError, match="must return a non-empty str"):
            await bad(wrong)


def test_decorating_a_plain_function_is_a_type_error(store: SimpleStore) -> None:
    with pytest.raises(TypeError, match="async functions"):
        cached(store, "fn")(lambda: 1)  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"collection": ""}, InvalidKeyError),
        ({"ttl": float("nan")}, InvalidTTLError),
        ({"lease": 0}, InvalidTTLError),
        ({"key": "not callable"}, TypeError),
    ],
    ids=repr,
)
def test_bad_options_fail_at_decoration(
    store: SimpleStore, options: dict[str, Any], error: type[Exception]
) -> None:
    arguments: dict[str, Any] = {"collection": "fn", **options}
    with pytest.raises(error):
        cached(store, **arguments)


async def test_the_decorated_function_keeps_its_name_and_doc(store: SimpleStore) -> None:
    @cached(store, "fn")
    async def documented() -> int:
        """Say something."""
        return 1

    assert documented.__name__ == "documented"
    assert documented.__doc__ == "Say something."


async def test_an_exception_is_not_cached(store: SimpleStore) -> None:
    calls = 0

    @cached(store, "fn")
    async def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("first call fails")
        return 5

    with pytest.raises(ConnectionError):
        await flaky()
    assert await flaky() == 5
    assert calls == 2
