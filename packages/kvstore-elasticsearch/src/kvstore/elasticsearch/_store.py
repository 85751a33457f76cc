"""ElasticsearchStore: the kvstore protocol on one Elasticsearch index."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Literal, cast
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from elasticsearch import (
    ApiError,
    AsyncElasticsearch,
    AuthenticationException,
    AuthorizationException,
    NotFoundError,
    TransportError,
)

from kvstore.core import (
    ATOMIC_OPERATIONS,
    BaseKVStore,
    DriverBoundary,
    Payload,
    PerLoop,
    redact,
)
from kvstore.core.errors import (
    ConfigurationError,
    KVStoreError,
    SetupError,
    StoreConnectionError,
)

from . import _atomic, _schema

_logger = logging.getLogger("kvstore.elasticsearch")

Refresh = bool | Literal["wait_for"]
"""When writes become visible to search: False, True (refresh at once) or "wait_for"."""


_HANDED_IN_FIX = (
    "create the client in the event loop that uses the store (one client and store per "
    "loop), or give ElasticsearchStore url= so that it opens a client for each event loop"
)


class _Session:
    """One event loop's client, and the lock its first writes take to create the index.

    ``once`` is the same client without the transport's retries, for the conditional writes
    of the atomic operations: a request whose connection broke after it was sent may have
    been applied, and sent again it would meet its own write (an ``add`` answering False to
    its writer, an ``increment`` counting twice through core's compare-and-set loop).
    """

    def __init__(self, client: AsyncElasticsearch) -> None:
        self.client = client
        self.once = client.options(max_retries=0)
        self.index_lock = asyncio.Lock()

    async def aclose(self) -> None:
        """Close the client and its connections."""
        await self.client.close()


_NDJSON = {"accept": "application/json", "content-type": "application/x-ndjson"}
"""The headers of a ``_bulk`` request sent with ``perform_request`` (as ``bulk()`` sends)."""


def _live_filter(now: float) -> dict[str, Any]:
    """Query clause: entries whose expiry (millisecond precision) has not passed at ``now``."""
    return {"range": {"expires_at": {"lte": int(now * 1000), "format": "epoch_millis"}}}


class ElasticsearchStore(BaseKVStore):
    """A store keeping each entry as one document of an Elasticsearch index.

    ``get``/``get_many`` are realtime reads by id and always see the latest write.
    ``keys``/``iter_keys``/``list_collections`` search the index, so with the default
    ``refresh=False`` they see a write after the index's next refresh (one second by
    default); ``refresh="wait_for"`` or ``True`` makes every write visible to them at once.
    ``clear_collection`` refreshes the index first, so it removes every acknowledged write.

    Args:
        url: the cluster's URL, e.g. ``"https://localhost:9200"``; credentials in it
            (``https://user:password@host``) are used for basic auth.
        api_key: an API key (encoded string or ``(id, key)``), with ``url``.
        basic_auth: ``(username, password)``, with ``url``.
        client: an ``AsyncElasticsearch`` to use instead of ``url``; the store leaves it open
            and uses it only on the event loop it is first used in.
        index: the index holding every collection; created on the first write.
        refresh: the ``refresh`` parameter of every write (see above).
        request_timeout: seconds before a request fails, for a client made from ``url``.
        client_options: further keyword arguments for the ``AsyncElasticsearch`` the store
            creates from ``url`` (for example ``ca_certs``, ``verify_certs``, ``node_class``).

    A store made from ``url`` works from any event loop: each loop gets its own client,
    closed when that loop shuts down or the store closes.

    Raises:
        ConfigurationError: not exactly one of ``url`` and ``client``, credentials with
            ``client``, an invalid index name or ``refresh`` value.
    """

    atomic_operations = ATOMIC_OPERATIONS
    """All six (SPEC §11): ``op_type=create`` and ``if_seq_no``/``if_primary_term`` writes."""

    page_size = 1000
    """Keys per search request of ``keys``/``iter_keys``; collections per aggregation page."""

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | tuple[str, str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        client: AsyncElasticsearch | None = None,
        index: str = "kv-store",
        refresh: Refresh = False,
        request_timeout: float = 10.0,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        problem = _schema.check_index_name(index)
        if problem is not None:
            raise ConfigurationError(f"index {index!r} {problem}")
        if type(refresh) is not bool and refresh != "wait_for":
            raise ConfigurationError(f"refresh must be True, False or 'wait_for', got {refresh!r}")
        self._index = index
        self._refresh: Refresh = refresh
        self._boundary = DriverBoundary(f"Elasticsearch index {index!r}", classify=self._classify)
        self._index_ready = False
        if client is not None:
            if (
                url is not None
                or api_key is not None
                or basic_auth is not None
                or client_options is not None
            ):
                raise ConfigurationError(
                    "pass either client= or url= (with api_key=/basic_auth=/client_options=), "
                    "not both"
                )
            self._url: str | None = None
            self._sessions = PerLoop(lambda: _Session(client), handed_in=_HANDED_IN_FIX)
            return
        if type(url) is not str or not url:
            raise ConfigurationError(
                "pass url= (the cluster's URL) or client= (AsyncElasticsearch)"
            )
        if type(request_timeout) not in (int, float) or not request_timeout > 0:
            raise ConfigurationError(
                f"request_timeout must be a positive number of seconds, got {request_timeout!r}"
            )
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            if basic_auth is not None or api_key is not None:
                raise ConfigurationError("credentials in the URL and api_key/basic_auth: pick one")
            basic_auth = (unquote(parts.username or ""), unquote(parts.password or ""))
            host = parts.hostname or ""
            if ":" in host:
                host = f"[{host}]"
            netloc = host if parts.port is None else f"{host}:{parts.port}"
            url = urlunsplit(parts._replace(netloc=netloc))
        if basic_auth is not None and api_key is not None:
            raise ConfigurationError("pass api_key= or basic_auth=, not both")
        self._boundary.add_secrets(_credential_secrets(basic_auth, api_key))
        self._url = url
        options = {
            "api_key": api_key,
            "basic_auth": basic_auth,
            "request_timeout": request_timeout,
            **(client_options or {}),
        }

        def new_client() -> AsyncElasticsearch:
            return AsyncElasticsearch(url, **options)

        try:
            # Built now so that a bad URL or option fails here; the first event loop gets it.
            unused: list[AsyncElasticsearch] = [new_client()]
        except (ValueError, TypeError) as exc:
            # Not chained: the client's message may quote a credential.
            raise ConfigurationError(
                self._boundary.redact(f"invalid Elasticsearch URL {url!r}: {exc}")
            ) from None
        self._sessions = PerLoop(
            lambda: _Session(unused.pop() if unused else new_client()), _Session.aclose
        )

    # -- errors ---------------------------------------------------------------------

    def _classify(self, exc: Exception, detail: str) -> tuple[type[KVStoreError], str]:
        """Note a failure that may mean the index is gone (see DriverBoundary)."""
        if isinstance(exc, TransportError) or (
            isinstance(exc, ApiError) and exc.error == "index_not_found_exception"
        ):
            # The server may have restarted or lost the index: recreate it on the next write.
            self._index_ready = False
        return StoreConnectionError, detail

    def _missing(self, exc: NotFoundError) -> None:
        """Note a 404: when the index itself is gone, recreate it on the next write."""
        if exc.error == "index_not_found_exception":
            self._index_ready = False

    # -- the index ------------------------------------------------------------------

    async def _ensure_index(
        self, session: _Session, operation: str, collection: str, keys: str | list[str]
    ) -> None:
        """Create the index with its mapping unless it exists (any concurrent creator wins).

        Concurrent first writes of this store wait for one creation request instead of each
        sending their own, which a burst of hundreds of tasks would turn into timeouts.
        """
        async with session.index_lock:
            if not self._index_ready:
                await self._create_index(session.client, operation, collection, keys)

    async def _create_index(
        self, client: AsyncElasticsearch, operation: str, collection: str, keys: str | list[str]
    ) -> None:
        with self._boundary(operation, collection, keys):
            try:
                await client.indices.create(index=self._index, mappings=_schema.MAPPING)
            except AuthorizationException:
                # A key allowed to write but not to create indices: the index is expected
                # to exist already; the write itself reports it if it does not.
                _logger.debug("no privilege to create index %r; assuming it exists", self._index)
            except ApiError as exc:
                if isinstance(exc, AuthenticationException):
                    raise
                if exc.error != "resource_already_exists_exception":
                    detail = f"cannot create the index: {type(exc).__name__}: {exc}"
                    raise self._boundary.error(
                        operation, collection, keys, detail, SetupError
                    ) from exc
        self._index_ready = True

    # -- primitives -----------------------------------------------------------------

    async def _read(self, collection: str, key: str) -> Payload | None:
        client = self._sessions.get().client
        with self._boundary("get", collection, key):
            try:
                response = await client.get(
                    index=self._index, id=_schema.document_id(collection, key)
                )
            except NotFoundError as exc:
                self._missing(exc)
                return None
        source: Payload | None = response.body.get("_source")
        return source

    async def _read_many(self, collection: str, keys: list[str]) -> list[Payload | None]:
        client = self._sessions.get().client
        document_id = _schema.document_id
        with self._boundary("get_many", collection, keys):
            try:
                response = await client.mget(
                    index=self._index, ids=[document_id(collection, key) for key in keys]
                )
            except NotFoundError as exc:
                self._missing(exc)
                return [None] * len(keys)
        return [doc.get("_source") if doc.get("found") else None for doc in response.body["docs"]]

    async def _write(self, collection: str, key: str, payload: str, ttl: float | None) -> None:
        session = self._sessions.get()
        client = session.client
        if not self._index_ready:
            await self._ensure_index(session, "put", collection, key)
        doc_id = _schema.document_id(collection, key)
        with self._boundary("put", collection, key):
            await client.index(
                index=self._index,
                id=doc_id,
                # The transport sends a str body as it is: the envelope text, never re-encoded.
                document=cast("Mapping[str, Any]", _schema.document(payload, collection, doc_id)),
                refresh=self._refresh,
            )

    async def _write_many(
        self, collection: str, entries: list[tuple[str, str]], ttl: float | None
    ) -> None:
        session = self._sessions.get()
        client = session.client
        keys = [key for key, _ in entries]
        if not self._index_ready:
            await self._ensure_index(session, "put_many", collection, keys)
        document_id = _schema.document_id
        document = _schema.document
        lines: list[str] = []
        for key, payload in entries:
            doc_id = document_id(collection, key)
            lines.append('{"index":{"_id":"' + doc_id + '"}}')
            lines.append(document(payload, collection, doc_id))
        with self._boundary("put_many", collection, keys):
            response = await client.bulk(
                index=self._index,
                operations=cast("Sequence[Mapping[str, Any]]", lines),
                refresh=self._refresh,
            )
        if response.body.get("errors"):
            self._raise_bulk_failures("put_many", collection, keys, response.body["items"])

    def _raise_bulk_failures(
        self, operation: str, collection: str, keys: Sequence[str], items: Sequence[Any]
    ) -> None:
        """Raise StoreConnectionError naming every key whose bulk item failed.

        ``items`` is the bulk response's item list, aligned with ``keys``; a delete of a
        document that is already gone (404) is not a failure.
        """
        failed: list[str] = []
        reasons: dict[str, None] = {}
        for key, item in zip(keys, items, strict=True):
            result: dict[str, Any] = next(iter(item.values()), {})
            error = result.get("error")
            if error is not None and result.get("status") != 404:
                failed.append(key)
                if isinstance(error, dict):
                    reasons[f"{error.get('type')}: {error.get('reason')}"] = None
        if not failed:
            return
        detail = f"{'; '.join(reasons) or 'unknown error'} (the other keys succeeded)"
        raise self._boundary.error(operation, collection, failed, detail)

    async def _expiries(
        self, operation: str, collection: str, keys: list[str]
    ) -> list[tuple[str, str, bool]]:
        """Return (key, document id, is live) for each of ``keys`` that has a document."""
        client = self._sessions.get().client
        ids = [_schema.document_id(collection, key) for key in keys]
        with self._boundary(operation, collection, keys[0] if operation == "delete" else keys):
            try:
                response = await client.mget(
                    index=self._index, ids=ids, source_includes=["expires_at"]
                )
            except NotFoundError as exc:
                self._missing(exc)
                return []
        now = time.time()
        found: list[tuple[str, str, bool]] = []
        for key, doc_id, doc in zip(keys, ids, response.body["docs"], strict=True):
            if doc.get("found"):
                expires_at = (doc.get("_source") or {}).get("expires_at")
                live = not isinstance(expires_at, (int, float)) or expires_at > now
                found.append((key, doc_id, live))
        return found

    async def _remove(self, collection: str, key: str) -> bool:
        client = self._sessions.get().client
        found = await self._expiries("delete", collection, [key])
        if not found:
            return False
        _, doc_id, live = found[0]
        with self._boundary("delete", collection, key):
            try:
                response = await client.delete(index=self._index, id=doc_id, refresh=self._refresh)
            except NotFoundError as exc:
                self._missing(exc)
                return False
        return live and response.body.get("result") == "deleted"

    async def _remove_many(self, collection: str, keys: list[str]) -> int:
        client = self._sessions.get().client
        found = await self._expiries("delete_many", collection, keys)
        if not found:
            return 0
        lines = ['{"delete":{"_id":"' + doc_id + '"}}' for _, doc_id, _ in found]
        with self._boundary("delete_many", collection, keys):
            response = await client.bulk(
                index=self._index,
                operations=cast("Sequence[Mapping[str, Any]]", lines),
                refresh=self._refresh,
            )
        items = response.body["items"]
        if response.body.get("errors"):
            self._raise_bulk_failures(
                "delete_many", collection, [key for key, _, _ in found], items
            )
        return sum(
            1
            for (_, _, live), item in zip(found, items, strict=True)
            if live and item.get("delete", {}).get("result") == "deleted"
        )

    # -- atomic operations: create and sequence-number compare-and-set ------------------

    async def _read_versioned(self, collection: str, key: str) -> tuple[Payload, str] | None:
        client = self._sessions.get().client
        with self._boundary("get_versioned", collection, key):
            try:
                response = await client.get(
                    index=self._index, id=_schema.document_id(collection, key)
                )
            except NotFoundError as exc:
                self._missing(exc)
                return None
        body = response.body
        source: dict[str, Any] = body["_source"]
        return source, _atomic.version(body["_seq_no"], body["_primary_term"], source)

    async def _conditional_write(
        self, operation: str, collection: str, key: str, payload: str, condition: dict[str, Any]
    ) -> bool:
        """Index ``payload`` under ``condition`` (op_type=create or if_seq_no/if_primary_term);
        False on a version conflict."""
        session = self._sessions.get()
        if not self._index_ready:
            await self._ensure_index(session, operation, collection, key)
        doc_id = _schema.document_id(collection, key)
        action = "create" if condition is _atomic.CREATE else "index"
        extra = "" if action == "create" else "," + json.dumps(condition)[1:-1]
        lines = [
            '{"' + action + '":{"_id":"' + doc_id + '"' + extra + "}}",
            _schema.document(payload, collection, doc_id),
        ]
        return await self._once(session, operation, collection, key, lines)

    async def _once(
        self, session: _Session, operation: str, collection: str, key: str, lines: list[str]
    ) -> bool:
        """Send one conditional bulk item; True if applied, False on a version conflict or a
        missing document.

        The item goes as ``POST /<index>/_bulk``: aiohttp sends a ``PUT`` or a ``DELETE``
        (what the document APIs and, from elasticsearch-py 9, ``bulk()`` use) again by itself
        when a kept-alive connection breaks, never a ``POST``; and ``session.once`` has the
        transport's retries off. So a request that may have been applied is never sent
        twice (see :class:`_Session`).
        """
        refresh = self._refresh
        with self._boundary(operation, collection, key):
            response = await session.once.perform_request(
                "POST",
                f"/{quote(self._index, safe='')}/_bulk",
                params={"refresh": str(refresh).lower() if isinstance(refresh, bool) else refresh},
                headers=_NDJSON,
                body=lines,
            )
        result: dict[str, Any] = next(iter(response.body["items"][0].values()), {})
        status = result.get("status")
        if status in (200, 201):
            return True
        error = result.get("error")
        if status == 409:
            return False
        if status == 404:
            if isinstance(error, dict) and error.get("type") == "index_not_found_exception":
                self._index_ready = False
            return False
        reason = f"{error.get('type')}: {error.get('reason')}" if isinstance(error, dict) else error
        raise self._boundary.error(operation, collection, [key], f"{reason} (status {status})")

    async def _write_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        condition = _atomic.CREATE if version is None else _atomic.condition(version)
        if condition is None:
            return False
        return await self._conditional_write("atomic write", collection, key, payload, condition)

    async def _remove_versioned(self, collection: str, key: str, version: str) -> bool:
        condition = _atomic.condition(version)
        if condition is None:
            return False
        doc_id = _schema.document_id(collection, key)
        lines = ['{"delete":{"_id":"' + doc_id + '",' + json.dumps(condition)[1:-1] + "}}"]
        session = self._sessions.get()
        return await self._once(session, "atomic delete", collection, key, lines)

    async def _add(self, collection: str, key: str, payload: str, ttl: float | None) -> bool:
        # One request when the key is free; a document already there may be expired, which
        # counts as absent: core's loop reads it and replaces it only if it is unchanged.
        if await self._conditional_write("add", collection, key, payload, _atomic.CREATE):
            return True
        return await super()._add(collection, key, payload, ttl)

    async def _put_versioned(
        self, collection: str, key: str, payload: str, ttl: float | None, version: str | None
    ) -> bool:
        if version is None:
            return await self._add(collection, key, payload, ttl)
        # One request: the token carries the expiry of the document it names, so a document
        # still at that sequence number is live exactly when that expiry is in the future.
        condition = _atomic.condition(version, time.time())
        if condition is None:
            return False
        return await self._conditional_write("put_versioned", collection, key, payload, condition)

    def _collection_query(self, collection: str, now: float) -> dict[str, Any]:
        return {
            "bool": {
                "filter": [{"term": {"kv_scope": _schema.scope(collection)}}],
                "must_not": [_live_filter(now)],
            }
        }

    async def _scan(self, collection: str) -> AsyncIterator[list[str]]:
        client = self._sessions.get().client
        query = self._collection_query(collection, time.time())
        after: list[Any] | None = None
        while True:
            with self._boundary("keys", collection):
                try:
                    # No _source: the server re-encodes a filtered source, turning a lone
                    # surrogate in a key into U+FFFD; the document ids spell keys exactly.
                    response = await client.search(
                        index=self._index,
                        query=query,
                        sort=[{"kv_id": "asc"}],
                        search_after=after,
                        size=self.page_size,
                        source=False,
                        track_total_hits=False,
                    )
                except NotFoundError as exc:
                    self._missing(exc)
                    return
                hits = response.body["hits"]["hits"]
                page = await self._keys_of([hit["_id"] for hit in hits])
            if page:
                yield page
            if len(hits) < self.page_size:
                return
            after = hits[-1]["sort"]

    async def _keys_of(self, ids: list[str]) -> list[str]:
        """Return the keys of documents, in order: from their ids, or a hashed one's source.

        A source read whole (not filtered) is the bytes the store wrote, so it holds the key
        exactly; a document deleted meanwhile is left out.
        """
        client = self._sessions.get().client
        keys = [_schema.key_from_id(doc_id) for doc_id in ids]
        hashed = [doc_id for doc_id, key in zip(ids, keys, strict=True) if key is None]
        if not hashed:
            return cast("list[str]", keys)
        response = await client.mget(index=self._index, ids=hashed)
        read = {
            doc["_id"]: (doc.get("_source") or {}).get("key")
            for doc in response.body["docs"]
            if doc.get("found")
        }
        found = [
            read.get(doc_id) if key is None else key for doc_id, key in zip(ids, keys, strict=True)
        ]
        return [key for key in found if type(key) is str]

    async def _collections(self) -> list[str]:
        client = self._sessions.get().client
        query = {"bool": {"must_not": [_live_filter(time.time())]}}
        names: list[str] = []
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {
                "size": self.page_size,
                "sources": [{"scope": {"terms": {"field": "kv_scope"}}}],
            }
            if after is not None:
                composite["after"] = after
            with self._boundary("list_collections"):
                try:
                    response = await client.search(
                        index=self._index,
                        query=query,
                        size=0,
                        aggregations={"scopes": {"composite": composite}},
                        track_total_hits=False,
                    )
                except NotFoundError as exc:
                    self._missing(exc)
                    return names
            aggregation = response.body["aggregations"]["scopes"]
            for bucket in aggregation["buckets"]:
                name = _schema.collection_from_scope(bucket["key"]["scope"])
                names.append(
                    name
                    if name is not None
                    else await self._hashed_collection(bucket["key"]["scope"], query)
                )
            after = aggregation.get("after_key")
            if after is None or len(aggregation["buckets"]) < self.page_size:
                return names

    async def _hashed_collection(self, scope: str, query: dict[str, Any]) -> str:
        """Return the name of a collection too long to be spelled out in its scope."""
        client = self._sessions.get().client
        with self._boundary("list_collections"):
            # The whole source, as written: a filtered one is re-encoded (see _keys_of).
            response = await client.search(
                index=self._index,
                query={"bool": {"filter": [{"term": {"kv_scope": scope}}, query]}},
                size=1,
            )
        hits = response.body["hits"]["hits"]
        name = (hits[0].get("_source") or {}).get("collection") if hits else None
        return name if type(name) is str else scope

    async def _clear(self, collection: str) -> int:
        client = self._sessions.get().client
        with self._boundary("clear_collection", collection):
            try:
                if self._refresh is False:
                    # delete_by_query sees only refreshed documents: make recent writes visible.
                    await client.indices.refresh(index=self._index)
                response = await client.delete_by_query(
                    index=self._index,
                    query=self._collection_query(collection, time.time()),
                    conflicts="proceed",
                    refresh=True,
                )
            except NotFoundError as exc:
                self._missing(exc)
                return 0
        return int(response.body.get("deleted", 0))

    async def _cull(self) -> None:
        client = self._sessions.get().client
        expired = {
            "range": {"expires_at": {"lte": int(time.time() * 1000), "format": "epoch_millis"}}
        }
        with self._boundary("cull"):
            try:
                await client.delete_by_query(
                    index=self._index, query=expired, conflicts="proceed", refresh=True
                )
            except NotFoundError as exc:
                self._missing(exc)
                return

    async def _close(self) -> None:
        await self._sessions.close()

    def __repr__(self) -> str:
        where = "client=<AsyncElasticsearch>" if self._url is None else f"url={redact(self._url)!r}"
        return f"ElasticsearchStore({where}, index={self._index!r}, refresh={self._refresh!r})"


def _credential_secrets(
    basic_auth: tuple[str, str] | None, api_key: str | tuple[str, str] | None
) -> list[str]:
    """The passwords and API keys to mask, also as the client sends them (base64)."""
    secrets: list[str] = []
    if basic_auth is not None:
        secrets += [basic_auth[1], _base64(f"{basic_auth[0]}:{basic_auth[1]}")]
    if isinstance(api_key, str):
        secrets.append(api_key)
    elif api_key is not None:
        secrets += [api_key[1], _base64(f"{api_key[0]}:{api_key[1]}")]
    return secrets


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
