"""redact: secrets out of any text a store shows (messages, reprs), URLs malformed or not."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"

_SECRET_WORDS = r"pass|pwd|secret|token|credential|auth|api[_-]?key|signature"
_USERINFO = re.compile(
    # user:password@ wherever a URL's authority may start: the text's start, after a slash
    # (``redis://``, ``redis:/``, ``redis//``), a quote, a bracket, a space or ``=``. The
    # password runs to the last ``@`` of the authority, as urlsplit reads it.
    r"(?:^|(?<=[\s/\"'(<\[=,]))(?P<user>[^\s/:@\"'?#]*):(?P<password>[^\s/\"'?#]*)@"
)
_QUERY_SECRET = re.compile(
    # name=value where the name looks like it holds a secret: ?password=..., &api_key=...
    rf"(?:^|(?<=[?&;\s,(]))(?P<name>[\w.\-]*(?:{_SECRET_WORDS})[\w.\-]*)="
    r"(?P<value>[^&\s\"',;)#]*)",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(
    r"\b(?P<scheme>ApiKey|Bearer|Basic)\s+(?P<value>[A-Za-z0-9+/=._~\-]{6,})", re.IGNORECASE
)


def secrets_in(text: str) -> list[str]:
    """Return the passwords and secret-looking query values that URLs in ``text`` carry."""
    found = [match["password"] for match in _USERINFO.finditer(text)]
    found += [match["value"] for match in _QUERY_SECRET.finditer(text)]
    found += [match["value"] for match in _AUTH_HEADER.finditer(text)]
    return [secret for secret in found if secret]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every secret in it replaced by ``***``.

    Masks the password of any ``user:password@`` (in well-formed URLs and malformed ones
    such as ``redis:/user:pw@host``, ``redis//user:pw@host`` or ``user:pw@host``), the
    values of query parameters whose names look secret (``?password=``, ``&api_key=``,
    ``token``, ...), ``ApiKey``/``Bearer``/``Basic`` credentials, and every occurrence of
    the given ``secrets`` and of the secrets found in the text, also percent-encoded.

    Args:
        text: a message, URL or repr.
        secrets: values the caller knows are secret (passwords, API keys).

    Returns:
        The text with each secret replaced by ``***``; text without secrets is returned as is.
    """
    known = {secret for secret in (*secrets, *secrets_in(text)) if secret}
    for secret in list(known):
        known.add(quote(secret, safe=""))
    text = _USERINFO.sub(lambda match: f"{match['user']}:{MASK}@", text)
    text = _QUERY_SECRET.sub(lambda match: f"{match['name']}={MASK}", text)
    text = _AUTH_HEADER.sub(lambda match: f"{match['scheme']} {MASK}", text)
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


__all__ = ["MASK", "redact", "secrets_in"]
