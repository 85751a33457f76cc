"""The Lua scripts behind RedisStore's atomic operations, and how they are called.

Every script touches exactly one key (``KEYS[1]``), so it runs unchanged on Redis Cluster, and
runs atomically: no other command sees the key between its read and its write.

Scripts never parse JSON (Lua's ``cjson`` would reorder members and round integers beyond
2**53). They read the envelope as text, relying on the format's fixed shape (docs/envelope.md:
compact, members in order, ``value`` last)::

    <head><created_at>,"ttl":<ttl>,"expires_at":<expires_at>,"value":{...}}

where ``<head>`` is ``{"kvstore":1,"collection":"<c>","key":"<k>","created_at":`` for the entry
asked for (sent by the client, so a document of another entry never matches). Neither a number
nor ``null`` holds a comma, so the fields after the head are matched exactly. A stored document
of any other shape (written by something else, or damaged) is not decided by the script: it
answers ``UNDECIDED`` having changed nothing, and the store falls back to core's
compare-and-set loop, which decodes the document in Python and raises ``DeserializationError``
where it is not an envelope.

Expiry: Redis drops a key at its ``PX`` deadline, but core decides expiry with the envelope's
``expires_at`` against the client's clock, and the two differ by the latency between the client
reading its clock and the server receiving the command (and by any clock skew). So each script
takes the client's ``now`` (epoch seconds, ``repr`` of a float, which Lua parses to the same
double) and treats a document whose ``expires_at <= now`` as absent, exactly as core's
``is_live`` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

from redis.exceptions import NoPermissionError, NoScriptError, RedisError, ResponseError

from kvstore.core._envelope import FORMAT_VERSION

UNDECIDED = -1
"""What a script answers, having changed nothing, when the stored document is not an envelope
of the shape it reads (the store then uses core's compare-and-set loop)."""

NOT_A_COUNTER = "KVSTORE_NOT_A_COUNTER"
OUT_OF_RANGE = "KVSTORE_OUT_OF_RANGE"
"""Error-reply codes of the increment script (the store maps them to InvalidValueError)."""


@dataclass(frozen=True)
class Script:
    """A Lua script and its SHA1, as ``EVALSHA`` names it."""

    name: str
    source: str
    sha: str


def _script(name: str, body: str) -> Script:
    source = _INSPECT + body
    return Script(name, source, hashlib.sha1(source.encode()).hexdigest())


_INSPECT = """\
-- The envelope stored for this entry: true if live, false if expired, nil if the document is
-- not one this script reads (then nothing is changed). Also returns where ',"ttl":' and
-- ',"value":' begin.
local function inspect(doc, head, now)
  if string.sub(doc, 1, #head) ~= head or string.sub(doc, -2) ~= '}}' then
    return nil
  end
  local ttl_at, expires, value_at = string.match(
    doc, '^[^,]*(),"ttl":[^,]*,"expires_at":([^,]*)(),"value":{', #head + 1)
  if not value_at then
    return nil
  end
  if expires == 'null' then
    return true, ttl_at, value_at
  end
  local at = tonumber(expires)
  if not at then
    return nil
  end
  return at > tonumber(now), ttl_at, value_at
end
local function set(name, payload, px)
  if px == '' then
    redis.call('SET', name, payload)
  else
    redis.call('SET', name, payload, 'PX', px)
  end
end
"""

PUT_IF = _script(
    "put_if",
    """\
-- ARGV: payload, px ('' never expires), now, head, expected ('' no live entry, else
-- '=' .. version). Writes iff the live entry is the expected one; 1 written, 0 not.
local doc = redis.call('GET', KEYS[1])
local live = false
if doc then
  live = inspect(doc, ARGV[4], ARGV[3])
  if live == nil then
    return -1
  end
end
local expected = ARGV[5]
if expected == '' then
  if live then
    return 0
  end
elseif not live or redis.sha1hex(doc) ~= string.sub(expected, 2) then
  return 0
end
set(KEYS[1], ARGV[1], ARGV[2])
return 1
""",
)
"""``add`` (expected: no live entry) and ``put_versioned``."""

TAKE = _script(
    "take",
    """\
-- ARGV: now, head. Removes the live entry and returns it; nil if none (an expired one stays
-- for Redis to drop).
local doc = redis.call('GET', KEYS[1])
if not doc then
  return false
end
local live = inspect(doc, ARGV[2], ARGV[1])
if live == nil then
  return -1
end
if not live then
  return false
end
redis.call('UNLINK', KEYS[1])
return doc
""",
)

TOUCH = _script(
    "touch",
    """\
-- ARGV: now, head, ttl, expires_at (JSON numbers or null), px ('' never expires). Rewrites
-- the live envelope's ttl and expires_at (value and created_at kept byte for byte) and its
-- Redis expiry; 1 if touched, 0 if missing or expired.
local doc = redis.call('GET', KEYS[1])
if not doc then
  return 0
end
local live, ttl_at, value_at = inspect(doc, ARGV[2], ARGV[1])
if live == nil then
  return -1
end
if not live then
  return 0
end
set(KEYS[1], string.sub(doc, 1, ttl_at - 1) .. ',"ttl":' .. ARGV[3] .. ',"expires_at":'
  .. ARGV[4] .. string.sub(doc, value_at), ARGV[5])
return 1
""",
)

INCREMENT = _script(
    "increment",
    """\
-- ARGV: now, head, amount (decimal), the envelope of a new counter holding amount, its px.
-- A live counter keeps its ttl, expires_at and Redis expiry (KEEPTTL); its created_at becomes
-- now. Returns the new count as decimal text (Lua numbers are doubles, exact only to 2^53: the
-- sum is done in two parts of nine and up to eleven digits, each exact).
local BASE = 1000000000
local function split(text)
  local negative = string.sub(text, 1, 1) == '-'
  local digits = negative and string.sub(text, 2) or text
  local n = #digits
  local hi = tonumber(string.sub(digits, 1, math.max(n - 9, 0))) or 0
  local lo = tonumber(string.sub(digits, math.max(n - 8, 1)))
  if not negative then
    return hi, lo
  end
  if lo > 0 then
    return -hi - 1, BASE - lo
  end
  return -hi, 0
end
local function decimal(hi, lo)
  local sign = ''
  if hi < 0 then
    sign, hi, lo = '-', -hi, -lo
    if lo < 0 then
      hi, lo = hi - 1, lo + BASE
    end
  end
  if hi == 0 then
    return sign .. string.format('%d', lo)
  end
  return sign .. string.format('%d%09d', hi, lo)
end
local doc = redis.call('GET', KEYS[1])
local live, ttl_at, value_at = false, nil, nil
if doc then
  live, ttl_at, value_at = inspect(doc, ARGV[2], ARGV[1])
  if live == nil then
    return -1
  end
end
if not live then
  set(KEYS[1], ARGV[4], ARGV[5])
  return ARGV[3]
end
local count = string.match(doc, '^,"value":{"count":(%-?%d+)}}$', value_at)
if not count then
  return redis.error_reply('KVSTORE_NOT_A_COUNTER the live value is not a counter: '
    .. 'increment needs the value {"count": <int>}; nothing was written')
end
local digits = #count - (string.sub(count, 1, 1) == '-' and 1 or 0)
local hi, lo = 0, 0
if digits <= 20 then
  local h1, l1 = split(count)
  local h2, l2 = split(ARGV[3])
  hi, lo = h1 + h2, l1 + l2
  if lo >= BASE then
    hi, lo = hi + 1, lo - BASE
  end
end
-- signed 64 bits: from -9223372036854775808 to 9223372036854775807
if digits > 20 or hi > 9223372036 or (hi == 9223372036 and lo > 854775807)
    or hi < -9223372037 or (hi == -9223372037 and lo < 145224192) then
  return redis.error_reply('KVSTORE_OUT_OF_RANGE the counter would leave the signed 64-bit '
    .. 'range (' .. count .. ' + ' .. ARGV[3] .. '); nothing was written')
end
local total = decimal(hi, lo)
-- created_at becomes the time of this write (ttl and expires_at stay), so the stored bytes,
-- and with them the version, change even when the count returns to an earlier value
redis.call('SET', KEYS[1], ARGV[2] .. ARGV[1] .. string.sub(doc, ttl_at, value_at - 1)
  .. ',"value":{"count":' .. total .. '}}', 'KEEPTTL')
return total
""",
)

WRITE_IF_VERSION = _script(
    "write_if_version",
    """\
-- ARGV: payload, px ('' never expires), version. Writes iff the stored document (expired or
-- not) has the version; 1 written, 0 not.
local doc = redis.call('GET', KEYS[1])
if not doc or redis.sha1hex(doc) ~= ARGV[3] then
  return 0
end
set(KEYS[1], ARGV[1], ARGV[2])
return 1
""",
)

REMOVE_IF_VERSION = _script(
    "remove_if_version",
    """\
-- ARGV: version. Removes the key iff the stored document has the version; 1 removed, 0 not.
local doc = redis.call('GET', KEYS[1])
if not doc or redis.sha1hex(doc) ~= ARGV[1] then
  return 0
end
redis.call('UNLINK', KEYS[1])
return 1
""",
)

SCRIPTS = (PUT_IF, TAKE, TOUCH, INCREMENT, WRITE_IF_VERSION, REMOVE_IF_VERSION)


def envelope_head(collection: str, key: str) -> str:
    """The text every envelope of (collection, key) starts with, up to its ``created_at``."""
    return (
        f'{{"kvstore":{FORMAT_VERSION},"collection":{encode_basestring_ascii(collection)},'
        f'"key":{encode_basestring_ascii(key)},"created_at":'
    )


class ScriptsRefused(RedisError):
    """The server refuses Lua scripts (an ACL without ``EVAL``/``EVALSHA``, or scripting
    disabled or renamed away), which the atomic operations need."""


async def evaluate(
    send: Callable[[Sequence[Any]], Awaitable[Any]], script: Script, name: bytes, *args: Any
) -> Any:
    """Run ``script`` on the key ``name``: ``EVALSHA``, then ``EVAL`` if the server does not
    have it cached (first use, a restart, ``SCRIPT FLUSH``); return its reply.

    Raises:
        ScriptsRefused: the server does not allow scripts (nothing was run).
        redis.exceptions.RedisError: as for any command (a script's error reply included).
    """
    try:
        try:
            return await send(("EVALSHA", script.sha, 1, name, *args))
        except NoScriptError:
            return await send(("EVAL", script.source, 1, name, *args))
    except ResponseError as exc:
        if refuses_scripts(exc):
            raise ScriptsRefused(
                f"the server refuses Lua scripts ({exc}), which the atomic operations need "
                f"(kvstore never emulates them with a separate read and write): allow EVAL and "
                f"EVALSHA for the store's user (ACL +@scripting)"
            ) from exc
        raise


def refuses_scripts(exc: ResponseError) -> bool:
    """True if a script call failed because the server does not run scripts for this client
    (``NOPERM`` for ``EVAL``/``EVALSHA``, an unknown or disabled command)."""
    message = str(exc).lower()
    if isinstance(exc, NoPermissionError):
        return "'eval" in message  # "no permissions to run the 'evalsha' command"
    return "unknown command" in message or "disabled command" in message
