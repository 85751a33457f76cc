"""ElasticsearchStore vs raw ``AsyncElasticsearch``: ``python -m benchmarks.bench_elasticsearch``.

The script starts its own ``osmem-server`` (PyPI ``osmem-server``, an in-memory server for
the Elasticsearch REST API) on a free loopback port, or uses ``--url`` (a real cluster;
``--api-key`` if it needs one). Both variants use one client class whose node sends plain
``application/json`` (osmem rejects the vendor ``compatible-with`` media type); the raw
client otherwise has the client's defaults, the store's client the store's request timeout.

The raw reference makes the same requests the store makes: ``get`` by id and reads
``_source["value"]``; ``index`` of a document with the same fields (envelope plus the
two query fields) with ``refresh=false``; one ``mget`` for get_many; one ``bulk`` for
put_many. Prints markdown tables: median ops/s (keys/s for batch cases) with the ratio to
raw, and each batch call's keys/s relative to the same keys done one call at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import time
from typing import Any

from elastic_transport import AiohttpHttpNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import AsyncElasticsearch

from kvstore.elasticsearch import ElasticsearchStore

from ._harness import VALUE, Case, median, report, run_cases

COLLECTION = "bench"
TTL = 300.0
BATCH = 100
SINGLY = f"store, {BATCH} single calls"
STORE_TIMEOUT = 10.0
"""ElasticsearchStore's default ``request_timeout``, given to the store's client."""


class PlainJsonNode(AiohttpHttpNode):
    """Sends plain JSON media types instead of the client's compatible-with vendor types."""

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        if headers is not None:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value is not None and "vnd.elasticsearch+" in value:
                    headers[name] = "application/" + value.split("+", 1)[1].split(";", 1)[0]
        return await super().perform_request(method, target, body, headers, request_timeout)


@contextlib.contextmanager
def osmem_server() -> Any:
    """Start osmem-server on a free loopback port; yield its URL; stop it."""
    from osmem_server import resolve_binary

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [resolve_binary(), "--addr", f"127.0.0.1:{port}", "--no-stdin-watch", "--no-ja"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("osmem-server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _raw_document(key: str, value: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    return {
        "kv_scope": COLLECTION,
        "kv_id": f"{COLLECTION}:{key}",
        "kvstore": 1,
        "collection": COLLECTION,
        "key": key,
        "created_at": now,
        "ttl": TTL,
        "expires_at": now + TTL,
        "value": value,
    }


def build_cases(
    ops: int, store: ElasticsearchStore, raw: AsyncElasticsearch, index: str
) -> list[Case]:
    keys = [f"key-{n:05d}" for n in range(ops)]
    batches = [keys[start : start + BATCH] for start in range(0, ops, BATCH)]
    raw_index = f"{index}-raw"

    async def store_get() -> int:
        for key in keys:
            await store.get(COLLECTION, key)
        return ops

    async def raw_get() -> int:
        for key in keys:
            (await raw.get(index=raw_index, id=f"{COLLECTION}:{key}"))["_source"]["value"]
        return ops

    async def store_put() -> int:
        for key in keys:
            await store.put(COLLECTION, key, VALUE, ttl=TTL)
        return ops

    async def raw_put() -> int:
        for key in keys:
            await raw.index(
                index=raw_index,
                id=f"{COLLECTION}:{key}",
                document=_raw_document(key, VALUE),
                refresh=False,
            )
        return ops

    async def store_get_many() -> int:
        for batch in batches:
            await store.get_many(COLLECTION, batch)
        return ops

    async def raw_get_many() -> int:
        for batch in batches:
            response = await raw.mget(index=raw_index, ids=[f"{COLLECTION}:{k}" for k in batch])
            [doc["_source"]["value"] for doc in response["docs"] if doc["found"]]
        return ops

    async def store_put_many() -> int:
        for batch in batches:
            await store.put_many(COLLECTION, dict.fromkeys(batch, VALUE), ttl=TTL)
        return ops

    async def raw_put_many() -> int:
        for batch in batches:
            operations: list[dict[str, Any]] = []
            for key in batch:
                operations.append({"index": {"_id": f"{COLLECTION}:{key}"}})
                operations.append(_raw_document(key, VALUE))
            await raw.bulk(index=raw_index, operations=operations, refresh=False)
        return ops

    return [
        Case("get", "raw", {"raw": raw_get, "store": store_get}),
        Case("put", "raw", {"raw": raw_put, "store": store_put}),
        Case(
            f"get_many ({BATCH} keys)",
            "raw",
            {"raw": raw_get_many, "store": store_get_many, SINGLY: store_get},
        ),
        Case(
            f"put_many ({BATCH} keys)",
            "raw",
            {"raw": raw_put_many, "store": store_put_many, SINGLY: store_put},
        ),
    ]


async def run(url: str, api_key: str | None, ops: int, repetitions: int) -> None:
    # Only what the server needs: the raw client keeps every other default, as users create
    # it; the store's client has the store's own request timeout.
    options: dict[str, Any] = {"node_class": PlainJsonNode}
    if api_key:
        options["api_key"] = api_key
    index = f"kvbench-{int(time.time())}"
    store_client = AsyncElasticsearch(url, request_timeout=STORE_TIMEOUT, **options)
    raw = AsyncElasticsearch(url, **options)
    store = ElasticsearchStore(client=store_client, index=index)
    try:
        await store.put("warm", "up", {})  # creates the store's index
        await raw.indices.create(index=f"{index}-raw")
        cases = build_cases(ops, store, raw, index)
        # Hits for the read cases: the put_many runners write every key once.
        await cases[3].variants["store"]()
        await cases[3].variants["raw"]()
        await run_cases(cases, repetitions=repetitions)
        print(report(f"ElasticsearchStore vs raw AsyncElasticsearch ({url})", cases))
        print()
        print("| batch case | batch keys/s ÷ single-call keys/s |\n|---|---:|")
        for case in cases[2:]:
            print(f"| {case.name} | {median(case, 'store') / median(case, SINGLY):.1f}x |")
    finally:
        with contextlib.suppress(Exception):
            await raw.indices.delete(index=f"{index},{index}-raw", ignore_unavailable=True)
        await store.close()
        await store_client.close()
        await raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a real cluster instead of a local osmem-server")
    parser.add_argument("--api-key", help="API key for --url")
    parser.add_argument("--ops", type=int, default=300, help="operations (keys) per repetition")
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    if args.url:
        asyncio.run(run(args.url, args.api_key, args.ops, args.repetitions))
        return
    with osmem_server() as url:
        asyncio.run(run(url, None, args.ops, args.repetitions))


if __name__ == "__main__":
    main()
