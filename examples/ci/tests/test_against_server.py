"""The app's tests against a running `mockserver serve` (its URL in MOCKSERVER_URL)."""

import os

import httpx
import pytest
from commands import DeviceCommands

URL = os.environ.get("MOCKSERVER_URL", "")

pytestmark = pytest.mark.skipif(not URL, reason="needs a running mockserver (MOCKSERVER_URL)")


def test_reboot_reaches_the_queue():
    httpx.post(f"{URL}/_mock/reset").raise_for_status()
    DeviceCommands(URL, "NNSXS.XXXXXXXXX", "app1", "wh1").reboot("dev1")
    queue = httpx.get(f"{URL}/_mock/devices/app1.dev1/queue").json()
    assert len(queue) == 1
