"""Fixtures of the ThingPark tests; `server` and `client` come from tests/conftest.py."""

from __future__ import annotations

import httpx
import pytest

from tests.providers.thingpark.helpers import bearer, token


@pytest.fixture
def auth(client: httpx.Client) -> dict[str, str]:
    """Headers with a fresh DX Admin token for the default world's client."""
    return bearer(token(client))
