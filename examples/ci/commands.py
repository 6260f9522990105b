"""A sample application: the code a team would test against mockserver in CI.

It sends commands to devices through The Things Stack's webhook downlink API.
"""

from __future__ import annotations

import base64

import httpx


class DeviceCommands:
    def __init__(self, base_url: str, api_key: str, application: str, webhook: str) -> None:
        self.client = httpx.Client(
            base_url=f"{base_url}/api/v3/as/applications/{application}/webhooks/{webhook}",
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def reboot(self, device: str) -> None:
        self._queue(device, "push", [{"f_port": 10, "frm_payload": _b64(b"\x01")}])

    def set_interval(self, device: str, minutes: int) -> None:
        """Replace whatever is pending with the new reporting interval."""
        payload = minutes.to_bytes(2, "big")
        self._queue(device, "replace", [{"f_port": 11, "frm_payload": _b64(payload)}])

    def _queue(self, device: str, operation: str, downlinks: list[dict[str, object]]) -> None:
        response = self.client.post(
            f"/devices/{device}/down/{operation}", json={"downlinks": downlinks}
        )
        response.raise_for_status()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
