"""Names that end at a separator: the escaping the renaming wrappers put before a name."""

from __future__ import annotations

from urllib.parse import unquote

from ..errors import ConfigurationError

DEFAULT_SEPARATOR = "__"


def check_separator(separator: object, argument: str) -> str:
    """Return ``separator`` after checking it can end an escaped name unambiguously.

    Raises:
        ConfigurationError: it is not a non-empty str free of ``%`` and ASCII letters and
            digits (the characters escapes are made of).
    """
    if (
        not isinstance(separator, str)
        or not separator
        or any(char == "%" or (char.isascii() and char.isalnum()) for char in separator)
    ):
        raise ConfigurationError(
            f"{argument} must be a non-empty str without '%' or ASCII letters and digits, "
            f"got {separator!r}"
        )
    return separator


def _percent_encoded(text: str) -> str:
    """Every character of ``text`` as %XX escapes of its UTF-8 bytes."""
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8", "surrogatepass"))


def escape(name: str, separator: str) -> str:
    """Return ``name`` so that ``escape(name) + separator`` holds ``separator`` only at its end.

    ``%`` and every occurrence of the separator are percent-escaped, and so is a tail of
    ``name`` that would run into the separator (``a_`` before ``__``). Names without them
    come back unchanged. Two distinct names never give the same result, and no
    ``escape(a) + separator`` is a prefix of another ``escape(b) + separator``: what
    follows the separator can never make two names meet.
    """
    escaped = name.replace("%", "%25").replace(separator, _percent_encoded(separator))
    for length in range(len(separator) - 1, 0, -1):
        if escaped.endswith(separator[:length]):
            return escaped[:-length] + _percent_encoded(separator[:length])
    return escaped


def unescape(escaped: str) -> str:
    """Return the name :func:`escape` was given."""
    return unquote(escaped, errors="surrogatepass")
