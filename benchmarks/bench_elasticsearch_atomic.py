"""ElasticsearchStore's atomic operations against raw ``AsyncElasticsearch`` doing the same.

``python -m benchmarks.bench_elasticsearch_atomic``: starts its own ``osmem-server`` as
``bench_elasticsearch`` does (or ``--url``/``--api-key`` for a real cluster). The raw client
keeps the client's defaults; it writes documents with the same fields as the store's into
an index of its own, with ``refresh=false``. Raw equivalents (the same requests an
application would send for the same guarantee):

- add: ``index(op_type="create")`` of a new id;
- take: ``get``, then ``delete(if_seq_no=..., if_primary_term=...)``;
- touch: ``get``, then ``index`` of the document with new times under ``if_seq_no``;
- get_versioned: ``get`` (``_seq_no``, ``_primary_term`` and ``_source["value"]``);
- put_versioned: a read-modify-write cycle: ``get`` then ``index`` under ``if_seq_no``
  (the store: get_versioned then put_versioned);
- increment: ``get``, then ``index`` of ``{"count": n + 1}`` under ``if_seq_no``.

Prints a markdown table: median ops/s and the ratio to raw.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import Any

from elasticsearch import AsyncElasticsearch

from kvstore.elasticsearch import ElasticsearchStore

from ._harness import VALUE, Case, Runner, report, run_cases, sample_keys
from .bench_elasticsearch import STORE_TIMEOUT, PlainJsonNode, osmem_server

COLLECTION = "bench"
TTL = 300.0


def _document(key: str, value: dict[str, Any], created_at: float | None = None) -> dict[str, Any]:
    now = time.time()
    return {
        "kv_scope": COLLECTION,
        "kv_id": f"{COLLECTION}:{key}",
        "kvstore": 1,
        "collection": COLLECTION,
        "key": key,
        "created_at": now if created_at is None else created_at,
        "ttl": TTL,
        "expires_at": now + TTL,
        "value": value,
    }


def build_cases(
    ops: int, runs: int, store: ElasticsearchStore, raw: AsyncElasticsearch, raw_index: str
) -> list[Case]:
    """Return the cases; ``runs`` is how often each runner is called (warm-up included)."""
    hot = sample_keys(ops, prefix="hot")
    rounds: dict[str, int] = {}

    def fresh(variant: str) -> list[str]:
        rounds[variant] = rounds.get(variant, 0) + 1
        return sample_keys(ops, prefix=f"{variant}-{rounds[variant]}")

    def doc_id(key: str) -> str:
        return f"{COLLECTION}:{key}"

    async def store_add() -> int:
        for key in fresh("store-add"):
            await store.add(COLLECTION, key, VALUE, ttl=TTL)
        return ops

    async def raw_add() -> int:
        for key in fresh("raw-add"):
            await raw.index(
                index=raw_index,
                id=doc_id(key),
                document=_document(key, VALUE),
                op_type="create",
                refresh=False,
            )
        return ops

    takes = {
        variant: [sample_keys(ops, prefix=f"{variant}-take-{run}") for run in range(runs)]
        for variant in ("store", "raw")
    }

    async def store_take() -> int:
        for key in takes["store"].pop():
            await store.take(COLLECTION, key)
        return ops

    async def raw_take() -> int:
        for key in takes["raw"].pop():
            found = await raw.get(index=raw_index, id=doc_id(key))
            found["_source"]["value"]
            await raw.delete(
                index=raw_index,
                id=doc_id(key),
                if_seq_no=found["_seq_no"],
                if_primary_term=found["_primary_term"],
                refresh=False,
            )
        return ops

    async def raw_rewrite(key: str, value: Any = None) -> None:
        found = await raw.get(index=raw_index, id=doc_id(key))
        source = found["_source"]
        await raw.index(
            index=raw_index,
            id=doc_id(key),
            document=_document(key, source["value"] if value is None else value(source)),
            if_seq_no=found["_seq_no"],
            if_primary_term=found["_primary_term"],
            refresh=False,
        )

    async def store_touch() -> int:
        for key in hot:
            await store.touch(COLLECTION, key, TTL)
        return ops

    async def raw_touch() -> int:
        for key in hot:
            await raw_rewrite(key)
        return ops

    async def store_get_versioned() -> int:
        for key in hot:
            await store.get_versioned(COLLECTION, key)
        return ops

    async def raw_get_versioned() -> int:
        for key in hot:
            found = await raw.get(index=raw_index, id=doc_id(key))
            (found["_source"]["value"], found["_seq_no"], found["_primary_term"])
        return ops

    async def store_cycle() -> int:
        for key in hot:
            seen = await store.get_versioned(COLLECTION, key)
            assert seen is not None
            await store.put_versioned(COLLECTION, key, VALUE, version=seen.version, ttl=TTL)
        return ops

    async def raw_cycle() -> int:
        for key in hot:
            await raw_rewrite(key, lambda source: VALUE)
        return ops

    async def store_increment() -> int:
        for key in hot:
            await store.increment("counters", key)
        return ops

    async def raw_increment() -> int:
        for key in hot:
            await raw_rewrite(f"n-{key}", lambda source: {"count": source["value"]["count"] + 1})
        return ops

    def pair(raw_runner: Runner, ours: Runner) -> dict[str, Runner]:
        return {"raw": raw_runner, "store": ours}

    return [
        Case("add (new key)", "raw", pair(raw_add, store_add)),
        Case("take", "raw", pair(raw_take, store_take)),
        Case("touch", "raw", pair(raw_touch, store_touch)),
        Case("get_versioned", "raw", pair(raw_get_versioned, store_get_versioned)),
        Case("put_versioned (read + CAS)", "raw", pair(raw_cycle, store_cycle)),
        Case("increment", "raw", pair(raw_increment, store_increment)),
    ]


async def prefill(
    ops: int, runs: int, store: ElasticsearchStore, raw: AsyncElasticsearch, raw_index: str
) -> None:
    """Write the hot keys, the raw counters and every slice the take runners remove."""
    raw_keys = sample_keys(ops, prefix="hot")
    for run in range(runs):
        await store.put_many(
            COLLECTION, dict.fromkeys(sample_keys(ops, prefix=f"store-take-{run}"), VALUE), ttl=TTL
        )
        raw_keys += sample_keys(ops, prefix=f"raw-take-{run}")
    await store.put_many(COLLECTION, dict.fromkeys(sample_keys(ops, prefix="hot"), VALUE), ttl=TTL)
    operations: list[dict[str, Any]] = []
    for key in raw_keys:
        operations += [{"index": {"_id": f"{COLLECTION}:{key}"}}, _document(key, VALUE)]
    for key in sample_keys(ops, prefix="hot"):
        counter = f"n-{key}"
        operations += [
            {"index": {"_id": f"{COLLECTION}:{counter}"}},
            _document(counter, {"count": 0}),
        ]
    await raw.bulk(index=raw_index, operations=operations, refresh=False)


async def run(url: str, api_key: str | None, ops: int, repetitions: int) -> None:
    options: dict[str, Any] = {"node_class": PlainJsonNode}
    if api_key:
        options["api_key"] = api_key
    index = f"kvbench-atomic-{int(time.time())}"
    raw_index = f"{index}-raw"
    store_client = AsyncElasticsearch(url, request_timeout=STORE_TIMEOUT, **options)
    raw = AsyncElasticsearch(url, **options)
    store = ElasticsearchStore(client=store_client, index=index)
    runs = repetitions + 1  # the harness warms each runner up once
    try:
        await store.put("warm", "up", {})  # creates the store's index
        await raw.indices.create(index=raw_index)
        cases = build_cases(ops, runs, store, raw, raw_index)
        await prefill(ops, runs, store, raw, raw_index)
        await run_cases(cases, repetitions=repetitions)
        print(
            report(f"ElasticsearchStore atomic operations vs raw AsyncElasticsearch ({url})", cases)
        )
    finally:
        with contextlib.suppress(Exception):
            await raw.indices.delete(index=f"{index},{raw_index}", ignore_unavailable=True)
        await store.close()
        await store_client.close()
        await raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a real cluster instead of a local osmem-server")
    parser.add_argument("--api-key", help="API key for --url")
    parser.add_argument("--ops", type=int, default=200, help="operations per repetition")
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    if args.url:
        asyncio.run(run(args.url, args.api_key, args.ops, args.repetitions))
        return
    with osmem_server() as url:
        asyncio.run(run(url, None, args.ops, args.repetitions))


if __name__ == "__main__":
    main()
