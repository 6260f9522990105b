"""Fixtures of the KPN provider tests; `server` and `client` come from tests/conftest.py."""

from __future__ import annotations

import pytest

from tests.providers.kpn.helpers import bearer, token


@pytest.fixture
def auth(client) -> dict[str, str]:
    """Headers with a token for the default world's API key (all three scopes)."""
    return bearer(token(client))
