"""Fixtures the wrapper tests share."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def debug_logger() -> Iterator[logging.Logger]:
    """A logger enabled for DEBUG whose records go to a list at ``logger.records``."""
    logger = logging.getLogger(f"kvstore-test-{os.urandom(4).hex()}")
    records: list[logging.LogRecord] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = ListHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.records = records  # type: ignore[attr-defined]
    yield logger
    logger.removeHandler(handler)
