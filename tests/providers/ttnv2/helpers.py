"""Shared expectations for the TTN v2 tests: URLs, the plain-text error shape, worlds."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import yaml

from mockserver.core import Downlink
from mockserver.server import MockServer
from mockserver.world import DEFAULT_WORLD

KEY = "ttn-account-v2.secret"
DEVICE = "my-app-id.my-dev-id"
REGIONS = ("ttn", "ttn-eu", "ttn-us-west", "ttn-brazil", "ttn-asia-se")
JSON = {"Content-Type": "application/json"}


def down_url(
    region: str = "ttn",
    app: str = "my-app-id",
    process: str = "my-process-id",
    key: str | None = KEY,
) -> str:
    url = f"/{region}/api/v2/down/{app}/{process}"
    return url if key is None else f"{url}?key={key}"


def assert_text_error(response: httpx.Response, status: int, message: str) -> None:
    """Go's http.Error: the status, text/plain, nosniff, the message and a newline."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text == message + "\n"


def assert_accepted(response: httpx.Response) -> None:
    assert response.status_code == 202, response.text
    assert response.content == b""
    assert "content-type" not in response.headers


def queue(server: MockServer, uid: str = DEVICE) -> list[Downlink]:
    return server.network.get(uid).queue.snapshot()


def request_violations(server: MockServer) -> list[str]:
    return [v.where for v in server.contract.log.violations if v.direction == "request"]


def default_world() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(DEFAULT_WORLD.read_text(encoding="utf-8")))


def my_app(world: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in world["ttnv2"]["applications"] if a["id"] == "my-app-id")
