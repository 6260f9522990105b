"""`make bench` rows for payload formatters, measured in process (no sockets, one core).

- A TTS replace whose `decoded_payload` goes through a JavaScript `encodeDownlink` against
  the same replace with `frm_payload`: the ratio is what running the team's codec costs per
  request (a fresh engine per message, as TTS does).
- A world reset with 100 devices that each have a JavaScript formatter, and the first load of
  that world (which also checks that every script parses).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mockserver.providers.worlds import read_world
from mockserver.server import MockServer

CODEC = """
var COMMANDS = {reboot: 1, interval: 2, led: 3};
function encodeDownlink(input) {
  var minutes = input.data.minutes || 0;
  return {bytes: [COMMANDS[input.data.command], (minutes >> 8) & 0xff, minutes & 0xff], fPort: 10};
}
function decodeUplink(input) { return {data: {battery: input.bytes[0] / 10}}; }
"""
REPLACE = "/api/v3/as/applications/app1/webhooks/wh1/devices/{device}/down/replace"
AUTH = {"Authorization": "Bearer NNSXS.XXXXXXXXX"}
REQUESTS = 400


def world(devices: int) -> dict[str, Any]:
    formatters = {
        "down_formatter": "FORMATTER_JAVASCRIPT",
        "down_formatter_parameter": CODEC,
        "up_formatter": "FORMATTER_JAVASCRIPT",
        "up_formatter_parameter": CODEC,
    }
    return {
        "tts": {
            "api_keys": [{"key": "NNSXS.XXXXXXXXX", "application": "app1", "placeholder": True}],
            "applications": [
                {
                    "id": "app1",
                    "webhooks": [{"id": "wh1"}],
                    "devices": [
                        {
                            "id": f"dev-{index:03d}",
                            "class": "A",
                            "session": {"dev_addr": f"{index:08X}"},
                            **({"formatters": formatters} if index else {}),
                        }
                        for index in range(devices)
                    ],
                }
            ],
        }
    }


def per_request_ms(server: MockServer, device: str, item: dict[str, Any]) -> float:
    url = REPLACE.format(device=device)
    body = {"downlinks": [item]}
    with server.client() as client:
        for _ in range(20):  # warm-up
            client.post(url, json=body, headers=AUTH)
        started = time.perf_counter()
        for _ in range(REQUESTS):
            response = client.post(url, json=body, headers=AUTH)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed / REQUESTS * 1000


def best_ms(runs: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    server = MockServer(world(2))
    raw = per_request_ms(server, "dev-000", {"f_port": 10, "frm_payload": "AgEs"})
    scripted = per_request_ms(
        server, "dev-001", {"decoded_payload": {"command": "interval", "minutes": 300}}
    )
    print(f"{'formatters (in process)':24}{'ms/request':>12}")
    print(f"{'replace, frm_payload':24}{raw:>12.3f}")
    print(f"{'replace, JS encoder':24}{scripted:>12.3f}")
    print(f"ratio (JS encoder / frm_payload): {scripted / raw:.2f}")
    description = world(101)
    load = best_ms(3, lambda: read_world(description))
    scripted_world = MockServer(description)
    reset = best_ms(5, scripted_world.reset)
    print(f"world of 100 scripted devices: first load {load:.1f} ms (every script parsed)")
    print(f"world reset, 100 scripted devices: {reset:.1f} ms")


if __name__ == "__main__":
    main()
