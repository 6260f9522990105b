"""Fixtures of the TTS provider tests; `server` and `client` come from tests/conftest.py."""

from __future__ import annotations

import pytest

from mockserver.server import MockServer
from tests.providers.tts.helpers import MAX_BODY, body, seed_queues


@pytest.fixture
def seeded(server, client) -> MockServer:
    """The default world with one known downlink queued on every activated device."""
    seed_queues(client)
    return server


@pytest.fixture(scope="session")
def huge_body() -> bytes:
    """One byte over TTS's webmiddleware.MaxBody (16 MiB); valid JSON, only its size is wrong.

    Built once for the whole run."""
    content = body({"f_port": 1, "frm_payload": "AQ=="})
    return content + b" " * (MAX_BODY + 1 - len(content))
