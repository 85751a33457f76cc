"""redact and open_store never show a password, API key or secret query value."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from kvstore.core import open_store, redact
from kvstore.core.errors import ConfigurationError

SECRET = "S3cret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("memory://", "memory://"),
        ("disk:///var/cache/app?size_limit=10", "disk:///var/cache/app?size_limit=10"),
        ("redis://app@h:1", "redis://app@h:1"),
        (f"redis://user:{SECRET}@host:6379/0", "redis://user:***@host:6379/0"),
        (f"redis://:{SECRET}@[::1]:6379", "redis://:***@[::1]:6379"),
        (f"redis://u:{SECRET}@h:notaport", "redis://u:***@h:notaport"),
        (f"redis://u:p@{SECRET}@h:1", "redis://u:***@h:1"),
        (f"redis:/app:{SECRET}@host:6379/0", "redis:/app:***@host:6379/0"),
        (f"redis//app:{SECRET}@host:6379/0", "redis//app:***@host:6379/0"),
        (f"redis:app:{SECRET}@host:6379/0", "redis:***@host:6379/0"),
        (f"app:{SECRET}@host:6379", "app:***@host:6379"),
        (f"cannot open 'redis://a:{SECRET}@h' now", "cannot open 'redis://a:***@h' now"),
        (f"unix:///r.sock?db=1&password={SECRET}", "unix:///r.sock?db=1&password=***"),
        (f"https://h/?api_key={SECRET}&x=1", "https://h/?api_key=***&x=1"),
        (f"https://h/?apiKey={SECRET}", "https://h/?apiKey=***"),
        (f"h?access_token={SECRET}#f", "h?access_token=***#f"),
        (f"Authorization: ApiKey {SECRET}==", "Authorization: ApiKey ***"),
        (f"{SECRET} refused", f"{SECRET} refused"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_masks_known_secrets_everywhere_also_percent_encoded() -> None:
    secret = "p@ss/word"
    text = f"AUTH {secret} failed for redis://u:p%40ss%2Fword@h and again {secret}"
    assert redact(text, [secret, ""]) == "AUTH *** failed for redis://u:***@h and again ***"


def test_redact_masks_a_url_secret_wherever_else_the_text_repeats_it() -> None:
    assert redact(f"redis://u:{SECRET}@h: WRONGPASS {SECRET}") == "redis://u:***@h: WRONGPASS ***"


@pytest.mark.parametrize(
    "url",
    [
        f"redis:/app:{SECRET}@host:6379/0",
        f"redis//app:{SECRET}@host:6379/0",
        f"app:{SECRET}@host:6379/0",
        f"simple:/app:{SECRET}@host",
    ],
)
def test_open_store_never_echoes_the_password_of_a_malformed_url(url: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        open_store(url)
    assert SECRET not in "".join(traceback.format_exception(raised.value))


@pytest.fixture
def leaky_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed backend whose factory puts the whole URL in its errors."""
    (tmp_path / "leaky_backend.py").write_text(
        "from kvstore.core.errors import ConfigurationError\n"
        "def open_config(url, **options):\n"
        "    raise ConfigurationError(f'cannot reach {url}')\n"
        "def open_value(url, **options):\n"
        "    raise ValueError(f'bad URL {url}')\n"
        "def open_password(url, **options):\n"
        "    raise ValueError(f'password {url.rpartition(\"=\")[2]!r} refused')\n"
    )
    info = tmp_path / "leaky_backend-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: leaky-backend\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[kvstore.stores]\n"
        "leakyconfig = leaky_backend:open_config\n"
        "leakyvalue = leaky_backend:open_value\n"
        "leakypassword = leaky_backend:open_password\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.usefixtures("leaky_backend")
@pytest.mark.parametrize(
    "url",
    [
        f"leakyconfig://host/db?password={SECRET}",
        f"leakyconfig://user:{SECRET}@host/db",
        f"leakyvalue://host/db?password={SECRET}",
        f"leakyvalue:///db?x=1&token={SECRET}",
        f"leakypassword://host/db?password={SECRET}",
    ],
)
def test_a_factory_error_never_echoes_a_secret_of_the_url(url: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        open_store(url)
    assert "host" in str(raised.value) or "db" in str(raised.value)
    assert SECRET not in "".join(traceback.format_exception(raised.value))


@pytest.mark.usefixtures("leaky_backend")
def test_a_factory_error_without_secrets_is_raised_as_it_is() -> None:
    with pytest.raises(ConfigurationError, match=r"^cannot reach leakyconfig://host/db$"):
        open_store("leakyconfig://host/db")
    with pytest.raises(ConfigurationError) as raised:
        open_store("leakyvalue://host/db")
    assert isinstance(raised.value.__cause__, ValueError)
